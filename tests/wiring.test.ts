// Subsystems are wired through each other's outputs, and every address names a Service and port
// the chart really renders (see fixtures/renderedServices.ts for how those were read).
import YAML from "yaml";
import { TEMPO_EXPORTER } from "../components/otelCollector";
import { parseServiceAddress, releaseServing } from "./fixtures/renderedServices";
import { devStackConfig, ProgramRun, releaseNames, runIndex, stackConfig, valuesOf } from "./helpers/run";

const datasources = (run: ProgramRun): any[] => valuesOf(run, "grafana").datasources["datasources.yaml"].datasources;
const datasource = (run: ProgramRun, type: string) => datasources(run).find((d) => d.type === type);

describe("wiring of the dev stack", () => {
    let run: ProgramRun;
    beforeAll(async () => {
        run = await runIndex(devStackConfig());
    });

    it("exports traces from the collector to Tempo's OTLP gRPC endpoint output", () => {
        const config = valuesOf(run, "otel-collector").alternateConfig;
        expect(config.service.pipelines.traces.exporters).toEqual([TEMPO_EXPORTER]);
        expect(config.exporters[TEMPO_EXPORTER].endpoint).toBe("tempo.observability.svc.cluster.local:4317");
        expect(releaseServing(config.exporters[TEMPO_EXPORTER].endpoint)).toBe("tempo");
    });

    it("pushes Promtail's logs to Loki's push URL output", () => {
        const [client] = valuesOf(run, "promtail").config.clients;
        expect(client.url).toBe(run.outputs.lokiPushUrl);
        expect(releaseServing(client.url)).toBe("loki");
        expect(parseServiceAddress(client.url).path).toBe("/loki/api/v1/push");
    });

    it.each([
        ["prometheus", "prometheusUrl", "kube-prometheus-stack"],
        ["alertmanager", "alertmanagerUrl", "kube-prometheus-stack"],
        ["loki", "lokiQueryUrl", "loki"],
        ["tempo", "tempoQueryUrl", "tempo"],
    ])("points Grafana's %s datasource at output %s, a Service of release %s", (type, output, owner) => {
        const url: string = datasource(run, type).url;
        expect(url).toBe(run.outputs[output]);
        expect(releaseServing(url)).toBe(owner);
    });

    it("exports OTLP endpoints that the collector's Service serves", () => {
        expect(releaseServing(String(run.outputs.otlpGrpcEndpoint))).toBe("otel-collector");
        expect(releaseServing(String(run.outputs.otlpHttpEndpoint))).toBe("otel-collector");
        expect(releaseServing(String(run.outputs.grafanaUrl))).toBe("grafana");
    });

    it("gives every datasource a fixed uid", () => {
        expect(datasources(run).map((d) => [d.type, d.uid])).toEqual([
            ["prometheus", "prometheus"],
            ["loki", "loki"],
            ["tempo", "tempo"],
            ["alertmanager", "alertmanager"],
        ]);
    });
});

describe("wiring follows the namespace", () => {
    it("derives every address from the configured namespace, with no name typed twice", async () => {
        const run = await runIndex(stackConfig({ namespace: "telemetry" }));
        const everything = YAML.stringify(run.resources.filter((r) => r.type.startsWith("kubernetes:")).map((r) => r.inputs));
        // The default namespace, as a host part or a whole value (dashboards may still say "observability-pipeline").
        expect(everything).not.toMatch(/\.observability\.|[:-] observability$/m);
        expect(everything).toMatch(/\.telemetry\.svc\.cluster\.local/);
        expect(valuesOf(run, "promtail").config.clients[0].url).toBe("http://loki.telemetry.svc.cluster.local:3100/loki/api/v1/push");
        expect(datasource(run, "prometheus").url).toBe("http://kube-prometheus-stack-prometheus.telemetry.svc.cluster.local:9090");
    });
});

describe("disabling a subsystem", () => {
    it.each([
        ["loki", { loki: { enabled: false }, logs: { enabled: false } }, ["loki", "promtail"], ["loki"]],
        ["tempo", { tempo: { enabled: false }, otelCollector: { enabled: false } }, ["tempo", "otel-collector"], ["tempo"]],
        ["prometheus", { prometheus: { enabled: false } }, ["kube-prometheus-stack"], ["prometheus", "alertmanager"]],
        ["dcgmExporter", { dcgmExporter: { enabled: false } }, ["dcgm-exporter"], []],
    ])("removes %s's release and its datasource", async (_name, config, goneReleases, goneDatasources) => {
        const run = await runIndex(stackConfig(config));
        expect(run.error).toBeUndefined();
        for (const name of goneReleases) expect(releaseNames(run)).not.toContain(name);
        const types = datasources(run).map((d) => d.type);
        for (const type of goneDatasources) expect(types).not.toContain(type);
        expect(types.length).toBe(4 - goneDatasources.length);
    });

    it("leaves out the GPU dashboards on a CPU-only cluster", async () => {
        const run = await runIndex(stackConfig({ dcgmExporter: { enabled: false } }));
        const uids = run.resources.filter((r) => r.type === "kubernetes:core/v1:ConfigMap").map((r) => r.inputs.metadata.name);
        expect(uids.sort()).toEqual(["dashboard-observability-pipeline", "dashboard-services-red"]);
    });

    it("drops the links to a disabled backend from the remaining datasources", async () => {
        const run = await runIndex(stackConfig({ loki: { enabled: false }, logs: { enabled: false } }));
        const tempo = datasource(run, "tempo");
        expect(tempo.jsonData.tracesToLogsV2).toBeUndefined();
        expect(tempo.jsonData.tracesToMetrics.datasourceUid).toBe("prometheus");
    });

    it("turns every chart's ServiceMonitor off when Prometheus (and its CRDs) is not installed", async () => {
        const run = await runIndex(stackConfig({ prometheus: { enabled: false } }));
        expect(valuesOf(run, "loki").monitoring.serviceMonitor.enabled).toBe(false);
        expect(valuesOf(run, "tempo").serviceMonitor.enabled).toBe(false);
        expect(valuesOf(run, "dcgm-exporter").serviceMonitor.enabled).toBe(false);
        expect(valuesOf(run, "promtail").serviceMonitor.enabled).toBe(false);
        expect(valuesOf(run, "otel-collector").serviceMonitor.enabled).toBe(false);
        expect(valuesOf(run, "grafana").serviceMonitor.enabled).toBe(false);
        expect(run.resources.find((r) => r.inputs?.name === "loki")?.dependencies).toHaveLength(1);
    });

    it("installs only Grafana's own release when every backend is off", async () => {
        const off = { enabled: false };
        const run = await runIndex(
            stackConfig({ loki: off, tempo: off, prometheus: off, dcgmExporter: off, logs: off, otelCollector: off }),
        );
        expect(releaseNames(run)).toEqual(["grafana"]);
        expect(datasources(run)).toEqual([]);
    });
});

describe("logs.shipper alloy", () => {
    let run: ProgramRun;
    beforeAll(async () => {
        run = await runIndex(stackConfig({ logs: { shipper: "alloy" }, loki: { tenant: "tokkio" } }));
    });

    it("installs Grafana Alloy instead of Promtail", () => {
        expect(releaseNames(run)).toContain("alloy");
        expect(releaseNames(run)).not.toContain("promtail");
    });

    it("pushes to Loki's push URL output, as the configured tenant", () => {
        const config: string = valuesOf(run, "alloy").alloy.configMap.content;
        const write = /loki\.write\s+"[^"]*"\s*\{[\s\S]*?url\s*=\s*"([^"]+)"/.exec(config);
        expect(write?.[1]).toBe(run.outputs.lokiPushUrl);
        expect(releaseServing(write![1])).toBe("loki");
        expect(config).toMatch(/tenant_id\s*=\s*"tokkio"/);
    });

    it("has its dropped entries alerted on instead of Promtail's", () => {
        const rules = run.resources.find((r) => r.type === "kubernetes:monitoring.coreos.com/v1:PrometheusRule");
        const alerts = rules?.inputs.spec.groups.flatMap((g: any) => g.rules.map((r: any) => r.alert));
        expect(alerts).toContain("AlloyDroppingEntries");
        expect(alerts).not.toContain("PromtailDroppingEntries");
    });

    it("is let through to Loki by its NetworkPolicy", () => {
        const policy = run.resources.find(
            (r) => r.type === "kubernetes:networking.k8s.io/v1:NetworkPolicy" && r.inputs.metadata.name === "allow-loki",
        );
        const sources = policy?.inputs.spec.ingress[0].from.map((peer: any) => peer.podSelector.matchLabels["app.kubernetes.io/name"]);
        expect(sources).toEqual(["alloy", "grafana"]);
    });
});
