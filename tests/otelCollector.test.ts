import { otelCollectorValues, TEMPO_EXPORTER } from "../components/otelCollector";
import { validateStackConfig } from "../config";
import { runUserProgram } from "./helpers/run";

const TEMPO = "tempo.observability.svc.cluster.local:4317";
// Production without the object store, Kafka and database its Loki, Tempo and Grafana need:
// this subsystem's production defaults apply all the same.
const SINGLE_PODS = { loki: { mode: "monolithic" }, tempo: { mode: "monolithic" }, grafana: { replicas: 1 } };
const values = (otelCollector: Record<string, unknown> = {}): any =>
    otelCollectorValues(
        { settings: validateStackConfig({ otelCollector }).otelCollector, serviceMonitors: true, releaseName: "otel-collector" },
        TEMPO,
    );

describe("OpenTelemetry Collector values", () => {
    it("receive OTLP over gRPC and HTTP", () => {
        const { receivers } = values().alternateConfig;
        expect(Object.keys(receivers)).toEqual(["otlp"]);
        expect(Object.keys(receivers.otlp.protocols)).toEqual(["grpc", "http"]);
        // On every address: a port-forward (npm run verify) arrives on the pod's loopback, not its IP.
        expect(receivers.otlp.protocols.grpc.endpoint).toBe("0.0.0.0:4317");
        expect(receivers.otlp.protocols.http.endpoint).toBe("0.0.0.0:4318");
    });

    it("process traces with memory_limiter first, then k8s_attributes, then batch", () => {
        const config = values().alternateConfig;
        expect(config.service.pipelines.traces.processors).toEqual(["memory_limiter", "k8s_attributes", "batch"]);
        expect(config.processors.memory_limiter).toMatchObject({ limit_percentage: 80, spike_limit_percentage: 25 });
    });

    it("export traces to the given Tempo endpoint over OTLP gRPC", () => {
        const config = values().alternateConfig;
        expect(config.service.pipelines.traces.exporters).toEqual([TEMPO_EXPORTER]);
        expect(config.exporters[TEMPO_EXPORTER]).toMatchObject({ endpoint: TEMPO, tls: { insecure: true } });
    });

    it("carry only the pipeline it uses: the chart's jaeger, zipkin and prometheus defaults are replaced", () => {
        const v = values();
        expect(Object.keys(v.alternateConfig.service.pipelines)).toEqual(["traces"]);
        for (const port of ["jaeger-compact", "jaeger-thrift", "jaeger-grpc", "zipkin"]) expect(v.ports[port].enabled).toBe(false);
    });

    it("size the collector per profile: one small replica in dev, two with a half-hour disk queue in production", () => {
        const dev = values();
        expect(dev.replicaCount).toBe(1);
        expect(dev.resources).toEqual({ requests: { cpu: "50m", memory: "128Mi" }, limits: { cpu: "500m", memory: "512Mi" } });
        expect(dev.podDisruptionBudget).toEqual({ enabled: false });

        const production: any = otelCollectorValues(
            {
                settings: validateStackConfig({ profile: "production", ...SINGLE_PODS }).otelCollector,
                serviceMonitors: true,
                releaseName: "otel-collector",
            },
            TEMPO,
        );
        expect(production.replicaCount).toBe(2);
        expect(production.resources).toEqual({ requests: { cpu: "200m", memory: "512Mi" }, limits: { cpu: "1", memory: "1Gi" } });
        expect(production.statefulset.volumeClaimTemplates[0].spec.resources.requests.storage).toBe("10Gi");
        expect(production.alternateConfig.exporters[TEMPO_EXPORTER].retry_on_failure.max_elapsed_time).toBe("30m");
    });

    it("spread replicas over zones and nodes and drain them one at a time", () => {
        const v = values({ replicas: 2 });
        const pods = { "app.kubernetes.io/name": "opentelemetry-collector", "app.kubernetes.io/instance": "otel-collector" };
        expect(v.topologySpreadConstraints.map((c: any) => [c.topologyKey, c.labelSelector.matchLabels])).toEqual([
            ["topology.kubernetes.io/zone", pods],
            ["kubernetes.io/hostname", pods],
        ]);
        expect(
            v.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].podAffinityTerm.labelSelector.matchLabels,
        ).toEqual(pods);
        expect(v.podDisruptionBudget).toEqual({ enabled: true, maxUnavailable: 1 });
    });

    it("run the Kubernetes distribution with the RBAC k8s_attributes needs", () => {
        const v = values({ replicas: 2 });
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

describe("the collector's queue", () => {
    it("is kept on a persistent volume of each replica, so a restart or a Tempo outage drops no spans", () => {
        const v = values({ queue: { storageSize: "5Gi" } });
        expect(v.mode).toBe("statefulset");
        const [claim] = v.statefulset.volumeClaimTemplates;
        expect(claim).toMatchObject({ metadata: { name: "queue" }, spec: { resources: { requests: { storage: "5Gi" } } } });
        expect(v.extraVolumeMounts).toEqual([{ name: "queue", mountPath: "/var/lib/otelcol/queue" }]);
        const config = v.alternateConfig;
        expect(config.extensions.file_storage.directory).toBe("/var/lib/otelcol/queue");
        expect(config.service.extensions).toContain("file_storage");
        expect(config.exporters[TEMPO_EXPORTER].sending_queue).toEqual({ enabled: true, storage: "file_storage", queue_size: 5000 });
    });

    it("takes its size and retry window from config, the window as a Go duration", () => {
        const exporter = values({ queue: { size: 20000, retryWindow: "1h" } }).alternateConfig.exporters[TEMPO_EXPORTER];
        expect(exporter.sending_queue.queue_size).toBe(20000);
        expect(exporter.retry_on_failure).toMatchObject({ enabled: true, max_elapsed_time: "1h" });
        expect(values({ queue: { retryWindow: "2d" } }).alternateConfig.exporters[TEMPO_EXPORTER].retry_on_failure.max_elapsed_time).toBe(
            "48h",
        );
    });

    it("keeps memory_limiter first in every pipeline", () => {
        for (const pipeline of Object.values<any>(values().alternateConfig.service.pipelines)) {
            expect(pipeline.processors[0]).toBe("memory_limiter");
        }
    });
});

describe("the collector's Service", () => {
    it("stays inside the cluster unless config publishes it", () => {
        expect(values().service.type).toBe("ClusterIP");
        expect(values({ serviceType: "LoadBalancer" }).service.type).toBe("LoadBalancer");
    });
});
