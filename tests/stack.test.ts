// The whole program (index.ts) with Pulumi.dev.yaml's config, as `pulumi up -s dev` would run it.
import YAML from "yaml";
import { CHARTS } from "../config/charts";
import { byUrn, devStackConfig, ProgramRun, release, releaseNames, runIndex } from "./helpers/run";

let run: ProgramRun;
beforeAll(async () => {
    run = await runIndex(devStackConfig());
});

const component = (type: string) => run.resources.filter((r) => r.type === `gpu-observability:index:${type}`);

describe("the dev stack", () => {
    it("runs without error", () => {
        expect(run.error).toBeUndefined();
    });

    it("installs all seven subsystems as Helm releases", () => {
        expect(releaseNames(run)).toEqual(
            ["dcgm-exporter", "grafana", "kube-prometheus-stack", "loki", "otel-collector", "promtail", "tempo"].sort(),
        );
    });

    it.each([
        ["loki", CHARTS.loki],
        ["tempo", CHARTS.tempo],
        ["grafana", CHARTS.grafana],
        ["promtail", CHARTS.promtail],
        ["kube-prometheus-stack", CHARTS.kubePrometheusStack],
        ["otel-collector", CHARTS.otelCollector],
        ["dcgm-exporter", CHARTS.dcgmExporter],
    ])("pins release %s to its chart, version and repository", (name, pin) => {
        const inputs = release(run, name).inputs;
        expect({ chart: inputs.chart, version: inputs.version, repo: inputs.repositoryOpts.repo }).toEqual(pin);
    });

    it("pins the charts that moved in 2026 to grafana-community", () => {
        for (const name of ["loki", "tempo", "grafana"]) {
            expect(release(run, name).inputs.repositoryOpts.repo).toBe("https://grafana-community.github.io/helm-charts");
        }
    });

    it("creates the namespace from config and installs every release into it", () => {
        const namespaces = run.resources.filter((r) => r.type === "kubernetes:core/v1:Namespace");
        expect(namespaces.map((n) => n.inputs.metadata.name)).toEqual(["observability"]);
        for (const name of releaseNames(run)) expect(release(run, name).inputs.namespace).toBe("observability");
    });

    it("upgrades every release atomically within a timeout, cleaning up on failure", () => {
        for (const name of releaseNames(run)) {
            expect(release(run, name).inputs).toMatchObject({ atomic: true, cleanupOnFail: true, timeout: 600 });
        }
    });

    it("registers one component per subsystem under ObservabilityStack, each owning its release", () => {
        const [stack] = component("ObservabilityStack");
        expect(stack).toBeDefined();
        const expected = {
            Loki: "loki",
            Tempo: "tempo",
            Prometheus: "kube-prometheus-stack",
            DcgmExporter: "dcgm-exporter",
            Promtail: "promtail",
            OtelCollector: "otel-collector",
            Grafana: "grafana",
        };
        for (const [type, releaseName] of Object.entries(expected)) {
            const [instance] = component(type);
            expect(instance.parent).toBe(stack.urn);
            expect(release(run, releaseName).parent).toBe(instance.urn);
        }
    });

    it("makes every release that renders monitors wait for prometheus-operator's CRDs", () => {
        const crdRelease = release(run, "kube-prometheus-stack").urn;
        for (const name of ["loki", "tempo", "dcgm-exporter", "promtail", "otel-collector", "grafana"]) {
            expect(release(run, name).dependencies).toContain(crdRelease);
        }
    });

    it("does not serialize releases that do not depend on each other", () => {
        const urn = (name: string) => release(run, name).urn;
        const backends = ["loki", "tempo", "dcgm-exporter"];
        for (const name of backends) {
            for (const other of backends.filter((o) => o !== name)) expect(release(run, name).dependencies).not.toContain(urn(other));
        }
        expect(release(run, "kube-prometheus-stack").dependencies.filter((d) => d.includes("helm.sh"))).toEqual([]);
    });

    it("exports where to look and where to send telemetry", () => {
        expect(run.outputs).toMatchObject({
            namespace: "observability",
            grafanaUrl: "http://grafana.observability.svc.cluster.local:80",
            grafanaAdminUser: "admin",
            otlpGrpcEndpoint: "otel-collector.observability.svc.cluster.local:4317",
            otlpHttpEndpoint: "http://otel-collector.observability.svc.cluster.local:4318",
            lokiPushUrl: "http://loki.observability.svc.cluster.local:3100/loki/api/v1/push",
            prometheusUrl: "http://kube-prometheus-stack-prometheus.observability.svc.cluster.local:9090",
        });
    });

    it("exports the generated Grafana admin password as a secret", () => {
        expect(run.secretOutputs).toEqual(["grafanaAdminPassword"]);
        expect(typeof run.outputs.grafanaAdminPassword).toBe("string");
    });

    it("applies the dev stack file's settings", () => {
        const loki = release(run, "loki").inputs.values;
        expect(loki.singleBinary.persistence).toMatchObject({ size: "10Gi", storageClass: "standard" });
        expect(YAML.parse(release(run, "tempo").inputs.values.config).compactor.compaction.block_retention).toBe("72h");
        expect(release(run, "kube-prometheus-stack").inputs.values.prometheus.prometheusSpec.retention).toBe("7d");
    });

    it("provisions its dashboards as ConfigMaps Grafana's sidecar loads, into folders", () => {
        const dashboards = run.resources.filter((r) => r.type === "kubernetes:core/v1:ConfigMap");
        expect(dashboards.map((d) => d.inputs.metadata.annotations.grafana_folder).sort()).toEqual([
            "GPU",
            "GPU",
            "Observability",
            "Services",
        ]);
        for (const d of dashboards) expect(d.inputs.metadata.labels).toEqual({ grafana_dashboard: "1" });
    });

    it("gives every resource a parent inside the stack except the stack itself", () => {
        const orphans = run.resources.filter((r) => !r.parent && r.type !== "gpu-observability:index:ObservabilityStack");
        expect(orphans.map((r) => `${r.type} ${r.name}`)).toEqual([]);
        for (const r of run.resources.filter((x) => x.parent)) expect(byUrn(run, r.parent)).toBeDefined();
    });
});
