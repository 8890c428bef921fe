import { otelCollectorValues, TEMPO_EXPORTER } from "../components/otelCollector";
import { validateStackConfig } from "../config";
import { runUserProgram } from "./helpers/run";

const TEMPO = "tempo.observability.svc.cluster.local:4317";
const values = (otelCollector: Record<string, unknown> = {}): any =>
    otelCollectorValues({ settings: validateStackConfig({ otelCollector }).otelCollector, serviceMonitors: true, releaseName: "otel-collector" }, TEMPO);

describe("OpenTelemetry Collector values", () => {
    it("receive OTLP over gRPC and HTTP", () => {
        const { receivers } = values().alternateConfig;
        expect(Object.keys(receivers)).toEqual(["otlp"]);
        expect(Object.keys(receivers.otlp.protocols)).toEqual(["grpc", "http"]);
        expect(receivers.otlp.protocols.grpc.endpoint).toMatch(/:4317$/);
        expect(receivers.otlp.protocols.http.endpoint).toMatch(/:4318$/);
    });

    it("process traces with memory_limiter first, then k8s_attributes, then batch", () => {
        const config = values().alternateConfig;
        expect(config.service.pipelines.traces.processors).toEqual(["memory_limiter", "k8s_attributes", "batch"]);
        expect(config.processors.memory_limiter).toMatchObject({ limit_percentage: 80, spike_limit_percentage: 25 });
    });

    it("export traces to the given Tempo endpoint over OTLP gRPC", () => {
        const config = values().alternateConfig;
        expect(config.service.pipelines.traces.exporters).toEqual([TEMPO_EXPORTER]);
        expect(config.exporters[TEMPO_EXPORTER]).toEqual({ endpoint: TEMPO, tls: { insecure: true } });
    });

    it("carry only the pipeline it uses: the chart's jaeger, zipkin and prometheus defaults are replaced", () => {
        const v = values();
        expect(Object.keys(v.alternateConfig.service.pipelines)).toEqual(["traces"]);
        for (const port of ["jaeger-compact", "jaeger-thrift", "jaeger-grpc", "zipkin"]) expect(v.ports[port].enabled).toBe(false);
    });

    it("run the Kubernetes distribution with the RBAC k8s_attributes needs", () => {
        const v = values({ replicas: 2 });
        expect(v.mode).toBe("deployment");
        expect(v.replicaCount).toBe(2);
        expect(v.image.repository).toMatch(/opentelemetry-collector-k8s$/);
        expect(v.presets.kubernetesAttributes.enabled).toBe(true);
    });
});

describe("the OtelCollector component", () => {
    it("exports the OTLP endpoints applications send to", async () => {
        const run = await runUserProgram(({ OtelCollector }) => {
            const collector = new OtelCollector("otel", {
                namespace: "telemetry",
                settings: validateStackConfig({}).otelCollector,
                tracesEndpoint: TEMPO,
            });
            return { grpc: collector.otlpGrpcEndpoint, http: collector.otlpHttpEndpoint };
        });
        expect(run.outputs).toEqual({
            grpc: "otel-collector.telemetry.svc.cluster.local:4317",
            http: "http://otel-collector.telemetry.svc.cluster.local:4318",
        });
    });
});
