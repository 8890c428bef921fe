// Living with NVIDIA's GPU Operator: its DCGM exporter is scraped instead of installing ours, and
// the GPU dashboards and alerts keep working on its metrics and labels.
import { GPU_OPERATOR_EXPORTER } from "../components/dcgmExporter";
import * as metricNames from "../components/metricNames";
import { podSecurityLevel } from "../components/podSecurity";
import { CHARTS, validateStackConfig } from "../config";
import { dcgmExporterJob } from "../scripts/verify/stackTargets";
import { ProgramRun, releaseNames, runIndex, stackConfig } from "./helpers/run";
import { chartFile } from "./helpers/shared";

const OPERATOR = { dcgmExporter: { mode: "gpu-operator", gpuOperatorNamespace: "nvidia-gpu-operator" } };

describe("dcgmExporter.mode gpu-operator", () => {
    let run: ProgramRun;
    beforeAll(async () => {
        run = await runIndex(stackConfig(OPERATOR));
    });
    const monitor = (): any => run.resources.find((r) => r.type === "kubernetes:monitoring.coreos.com/v1:ServiceMonitor")?.inputs;

    it("installs no exporter of its own", () => {
        expect(run.error).toBeUndefined();
        expect(releaseNames(run)).not.toContain("dcgm-exporter");
    });

    it("has Prometheus scrape the operator's exporter Service in the operator's namespace", () => {
        expect(monitor()).toMatchObject({
            metadata: { name: "nvidia-dcgm-exporter", namespace: "observability" },
            spec: {
                selector: { matchLabels: { app: "nvidia-dcgm-exporter" } },
                namespaceSelector: { matchNames: ["nvidia-gpu-operator"] },
                endpoints: [expect.objectContaining({ port: "gpu-metrics", path: "/metrics" })],
            },
        });
    });

    it("keeps the workload's pod labels and adds the node, as for its own exporter", () => {
        const [endpoint] = monitor().spec.endpoints;
        expect(endpoint.honorLabels).toBe(true);
        expect(endpoint.relabelings).toContainEqual({
            action: "replace",
            sourceLabels: ["__meta_kubernetes_pod_node_name"],
            targetLabel: "node",
        });
    });

    it("creates the monitor after prometheus-operator's CRDs", () => {
        const monitorResource = run.resources.find((r) => r.type === "kubernetes:monitoring.coreos.com/v1:ServiceMonitor");
        const crds = run.resources.find((r) => r.inputs?.name === "kube-prometheus-stack");
        expect(monitorResource?.dependencies).toContain(crds?.urn);
    });

    it("keeps the GPU dashboards", () => {
        const dashboards = run.resources.filter((r) => r.type === "kubernetes:core/v1:ConfigMap").map((r) => r.inputs.metadata.name);
        expect(dashboards).toEqual(expect.arrayContaining(["dashboard-gpu-fleet", "dashboard-gpu-efficiency"]));
    });

    it("watches the operator's exporter job in the missing-exporter alert", () => {
        const rules = run.resources.find((r) => r.type === "kubernetes:monitoring.coreos.com/v1:PrometheusRule");
        const exprs = JSON.stringify(rules?.inputs.spec.groups);
        expect(exprs).toContain('job=\\"nvidia-dcgm-exporter\\"');
        expect(exprs).not.toContain('job=\\"dcgm-exporter\\"');
    });

    it("is checked after deploy by the operator's job", () => {
        expect(dcgmExporterJob(validateStackConfig(OPERATOR))).toBe(GPU_OPERATOR_EXPORTER.service);
        expect(dcgmExporterJob(validateStackConfig({}))).toBe("dcgm-exporter");
    });

    it("needs no Pod Security exception for the exporter", () => {
        expect(podSecurityLevel({ prometheus: false, logs: false, dcgmExporter: false })).toBe("restricted");
        const namespace = run.resources.find((r) => r.type === "kubernetes:core/v1:Namespace");
        expect(namespace?.inputs.metadata.labels["pod-security.kubernetes.io/enforce"]).toBe("privileged"); // node-exporter, Promtail
    });
});

describe("the GPU Operator's counter list", () => {
    // The operator's exporter reads dcp-metrics-included.csv (its DCGM_EXPORTER_COLLECTORS default).
    const exported = chartFile(CHARTS.dcgmExporter, "dcp-metrics-included.csv")
        .split("\n")
        .filter((line) => /^DCGM_FI_/.test(line))
        .map((line) => line.split(",")[0].trim());

    it("has every DCGM field the dashboards and alerts use", () => {
        expect(Object.values(metricNames.DCGM).filter((field) => !exported.includes(field))).toEqual([]);
    });
});

describe("gpu-operator mode config", () => {
    it("refuses counters, which only the operator's ClusterPolicy sets", () => {
        expect(() =>
            validateStackConfig({
                dcgmExporter: { mode: "gpu-operator", counters: [{ field: "DCGM_FI_DEV_GPU_UTIL", type: "gauge", help: "x" }] },
            }),
        ).toThrow(/dcgmExporter.counters: are set in mode gpu-operator/);
    });

    it.each(["default", "full"])("refuses the counter preset %s, which only the operator's ClusterPolicy could choose", (preset) => {
        expect(() => validateStackConfig({ dcgmExporter: { mode: "gpu-operator", counters: preset } })).toThrow(
            new RegExp(`dcgmExporter.counters: is "${preset}" in mode gpu-operator, where the operator's exporter reads its own list`),
        );
    });

    it("takes the production profile, whose counter preset is the default lean one", () => {
        const production = validateStackConfig({
            ...OPERATOR,
            profile: "production",
            loki: { mode: "monolithic" },
            tempo: { mode: "monolithic" },
            grafana: {
                database: { type: "postgres", host: "grafana-db.example.internal:5432", name: "grafana", user: "grafana", password: "pw" },
            },
        });
        expect(production.dcgmExporter).toMatchObject({ mode: "gpu-operator", counters: "lean" });
    });

    it("refuses a stack without Prometheus to scrape the operator's exporter", () => {
        expect(() => validateStackConfig({ ...OPERATOR, prometheus: { enabled: false } })).toThrow(
            /dcgmExporter.mode: is gpu-operator while prometheus.enabled is false/,
        );
    });

    it("refuses a mode that does not exist", () => {
        expect(() => validateStackConfig({ dcgmExporter: { mode: "operator" } })).toThrow(
            /"operator" is not allowed; use one of "install", "gpu-operator"/,
        );
    });
});
