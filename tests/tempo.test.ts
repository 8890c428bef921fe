import { tempoValues } from "../components/tempo";
import { validateStackConfig } from "../config";
import { runUserProgram } from "./helpers/run";

const values = (tempo: Record<string, unknown> = {}, storageClass?: string): any =>
    tempoValues({ settings: validateStackConfig({ tempo }).tempo, storageClass, serviceMonitors: true, releaseName: "tempo" });

describe("Tempo values", () => {
    it("turn on the OTLP gRPC (4317) and HTTP (4318) receivers", () => {
        expect(values().tempo.receivers.otlp.protocols).toEqual({
            grpc: { endpoint: "0.0.0.0:4317" },
            http: { endpoint: "0.0.0.0:4318" },
        });
    });

    it("keep traces and the write-ahead log on a PersistentVolumeClaim", () => {
        const v = values({ storageSize: "20Gi" }, "fast-ssd");
        expect(v.persistence).toMatchObject({ enabled: true, size: "20Gi", storageClassName: "fast-ssd" });
        expect(v.tempo.storage.trace).toEqual({
            backend: "local",
            local: { path: "/var/tempo/traces" },
            wal: { path: "/var/tempo/wal" },
        });
    });

    it("omit the StorageClass when none is configured, so the cluster default applies", () => {
        expect(values().persistence).not.toHaveProperty("storageClassName");
    });

    it("pass the retention as a Go duration, which is all Tempo parses", () => {
        expect(values({ retention: "14d" }).tempo.retention).toBe("336h");
        expect(values().tempo.retention).toBe("168h");
    });

    it("size the Tempo container from config and bound Go's heap by its limit", () => {
        const v = values({ resources: { limits: { memory: "2Gi" } } });
        expect(v.tempo.resources.limits.memory).toBe("2Gi");
        expect(v.tempo.memBallastSizeMbs).toBe(0);
        expect(v.tempo.extraEnv).toContainEqual({ name: "GOMEMLIMIT", valueFrom: { resourceFieldRef: { resource: "limits.memory" } } });
    });

    it("turn its ServiceMonitor on only when Prometheus' CRDs are there", () => {
        expect(values().serviceMonitor.enabled).toBe(true);
        const settings = validateStackConfig({}).tempo;
        expect((tempoValues({ settings, serviceMonitors: false, releaseName: "tempo" }) as any).serviceMonitor.enabled).toBe(false);
    });
});

describe("the Tempo component", () => {
    it("exports its OTLP gRPC, OTLP HTTP and query endpoints, named after its release", async () => {
        const run = await runUserProgram(({ Tempo }) => {
            const tempo = new Tempo("traces", { namespace: "apps", settings: validateStackConfig({}).tempo, releaseName: "traces" });
            return { grpc: tempo.otlpGrpcEndpoint, http: tempo.otlpHttpEndpoint, query: tempo.queryUrl };
        });
        expect(run.outputs).toEqual({
            grpc: "traces.apps.svc.cluster.local:4317",
            http: "http://traces.apps.svc.cluster.local:4318",
            query: "http://traces.apps.svc.cluster.local:3200",
        });
    });
});

describe("Tempo's metrics generator", () => {
    it("writes service graphs and span metrics, with exemplars, to Prometheus' remote-write output", async () => {
        const { runIndex, devStackConfig, valuesOf } = await import("./helpers/run");
        const run = await runIndex(devStackConfig());
        const tempo = valuesOf(run, "tempo").tempo;
        expect(tempo.metricsGenerator).toMatchObject({ enabled: true });
        expect(tempo.metricsGenerator.storage.remote_write).toEqual([
            { url: `${run.outputs.prometheusUrl}/api/v1/write`, send_exemplars: true },
        ]);
        expect(tempo.overrides.defaults.metrics_generator.processors).toEqual(["service-graphs", "span-metrics"]);
        expect(valuesOf(run, "kube-prometheus-stack").prometheus.prometheusSpec.enableRemoteWriteReceiver).toBe(true);
    });

    it("stays off when Prometheus is not installed", async () => {
        const { runIndex, stackConfig, valuesOf } = await import("./helpers/run");
        const run = await runIndex(stackConfig({ prometheus: { enabled: false } }));
        expect(valuesOf(run, "tempo").tempo.metricsGenerator).toBeUndefined();
    });
});
