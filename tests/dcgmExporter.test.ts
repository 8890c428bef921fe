import { alertRuleGroups, dcgmExporterValues, stackDashboards } from "../components";
import {
    CHARTS,
    countersCsv,
    DCGM_COUNTER_SETS,
    DEFAULT_DCGM_COUNTERS,
    FULL_DCGM_COUNTERS,
    INCIDENT_DCGM_FIELDS,
    LEAN_DCGM_COUNTERS,
    parseQuantity,
    STACK_DCGM_FIELDS,
    validateStackConfig,
} from "../config";
import { devStackConfig, runIndex, stackConfig, valuesOf } from "./helpers/run";
import { chartFile } from "./helpers/shared";

const values = (dcgmExporter: Record<string, unknown> = {}, config: Record<string, unknown> = {}): any =>
    dcgmExporterValues({
        settings: validateStackConfig({ ...config, dcgmExporter }).dcgmExporter,
        serviceMonitors: true,
        releaseName: "dcgm-exporter",
    });
const fieldsOf = (counters: readonly { field: string }[]) => counters.map((c) => c.field);
/** A production-profile stack that validates without object storage or Kafka. */
const PRODUCTION = {
    profile: "production",
    loki: { mode: "monolithic" },
    tempo: { mode: "monolithic" },
    grafana: { database: { type: "postgres", host: "grafana-db.example.internal:5432", name: "grafana", user: "grafana", password: "pw" } },
};

/** Lines of one of the exporter's CSV files, as [field, type, help]: uncommented ones, or all. */
function csvLines(file: string, { commented }: { commented: boolean }): [string, string, string][] {
    return chartFile(CHARTS.dcgmExporter, file)
        .split("\n")
        .map((line) => /^(#\s*)?(DCGM_FI_[A-Z0-9_]+)\s*,\s*(\w+)\s*,\s*(.*)$/.exec(line.trim()))
        .filter((match) => match !== null && (commented || !match[1]))
        .map((match) => [match![2], match![3], match![4].trim()]);
}

/** The DCGM fields the stack's dashboards and alert rules really query, read off the built JSON and rules. */
function dcgmFieldsQueried(): string[] {
    const dashboards = stackDashboards({
        gpu: true,
        spanMetrics: true,
        pipeline: { namespace: "observability", metrics: true, promtail: true, alloy: true, otelCollector: true, loki: true, tempo: true },
    });
    // Queries only: a panel's title or description may name a field it does not query.
    const queries: string[] = [];
    const visit = (node: unknown, key?: string): void => {
        if (typeof node === "string") {
            if (key !== "title" && key !== "description") queries.push(node);
        } else if (Array.isArray(node)) node.forEach((item) => visit(item, key));
        else if (typeof node === "object" && node !== null) Object.entries(node).forEach(([k, v]) => visit(v, k));
    };
    visit(dashboards.map((d) => d.json));
    const rules = alertRuleGroups({
        thresholds: validateStackConfig({}).alerts.thresholds,
        installed: { dcgmExporter: { job: "dcgm-exporter" }, otelCollector: true, promtail: true, alloy: true, loki: true, tempo: true },
    }).flatMap((group) => group.rules.map((rule) => rule.expr));
    return [...new Set([...queries, ...rules].join("\n").match(/DCGM_FI_[A-Z0-9_]+/g))].sort();
}

describe("DCGM exporter values", () => {
    it("run only on GPU nodes, by the label GPU feature discovery sets, tolerating the GPU taint", () => {
        const v = values();
        expect(v.nodeSelector).toEqual({ "nvidia.com/gpu.present": "true" });
        expect(v.tolerations).toEqual([{ key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" }]);
    });

    it("follow the configured node selector and tolerations", () => {
        const v = values({
            nodeSelector: { "node.kubernetes.io/instance-type": "p4d.24xlarge" },
            tolerations: [{ key: "dedicated", operator: "Equal", value: "gpu", effect: "NoExecute" }],
        });
        expect(v.nodeSelector).toEqual({ "node.kubernetes.io/instance-type": "p4d.24xlarge" });
        expect(v.tolerations).toEqual([{ key: "dedicated", operator: "Equal", value: "gpu", effect: "NoExecute" }]);
    });

    it("export the chosen preset, mounted where the exporter's -f flag reads it", () => {
        const v = values({ counters: "full" });
        expect(v.customMetrics).toBe(countersCsv(FULL_DCGM_COUNTERS));
        expect(v.arguments).toEqual(["-f", "/etc/dcgm-exporter/default-counters.csv"]);
        expect(v.extraVolumeMounts).toContainEqual(expect.objectContaining({ mountPath: "/etc/dcgm-exporter/default-counters.csv" }));
    });

    it("export a list of one's own as written", () => {
        const counters = DEFAULT_DCGM_COUNTERS.filter((c) => !["DCGM_FI_DEV_ENC_UTIL", "DCGM_FI_DEV_DEC_UTIL"].includes(c.field));
        const v = values({ counters });
        expect(v.customMetrics).toBe(countersCsv(counters));
        expect(v.customMetrics).toContain("DCGM_FI_DEV_GPU_UTIL, gauge, GPU utilization (in %).\n");
        expect(v.customMetrics).not.toContain("DCGM_FI_DEV_ENC_UTIL");
    });

    it("restart the exporter when the counter list changes", () => {
        const checksum = (v: any) => v.podAnnotations["gpu-observability/counters-checksum"];
        expect(checksum(values())).toMatch(/^[0-9a-f]{64}$/);
        expect(checksum(values({ counters: "full" }))).not.toBe(checksum(values()));
        expect(checksum(values({ counters: "lean" }))).toBe(checksum(values()));
    });

    it("keep the pod and namespace labels of the workload using each GPU", () => {
        expect(values().serviceMonitor).toMatchObject({ enabled: true, honorLabels: true });
    });

    it("add only the SYS_ADMIN capability the profiling counters need", () => {
        expect(values().securityContext.capabilities).toEqual({ drop: ["ALL"], add: ["SYS_ADMIN"] });
        expect(values().securityContext.allowPrivilegeEscalation).toBe(false);
    });

    it("give the exporter, the chart's only container, explicit CPU and memory requests and limits", () => {
        expect(values().resources).toEqual({ requests: { cpu: "50m", memory: "384Mi" }, limits: { cpu: "500m", memory: "1Gi" } });
        expect(values()).not.toHaveProperty("initContainers");
    });

    it("are sized for 8-GPU nodes in the production profile", () => {
        expect(values({}, PRODUCTION).resources).toEqual({
            requests: { cpu: "100m", memory: "512Mi" },
            limits: { cpu: "1", memory: "1Gi" },
        });
    });
});

describe("a dev GPU node", () => {
    it("runs the exporter, node-exporter and the log shipper within 300m CPU and 640Mi of requests", () => {
        const config = validateStackConfig({});
        // Alloy, the larger shipper, brings its config reloader (10m/32Mi, components/alloy.ts).
        const daemonSets = [
            config.dcgmExporter.resources.requests,
            config.prometheus.nodeExporterResources.requests,
            config.logs.resources.requests,
            { cpu: "10m", memory: "32Mi" },
        ];
        const total = (resource: "cpu" | "memory") => daemonSets.reduce((sum, r) => sum + parseQuantity(r[resource])!, 0);
        expect(total("cpu")).toBeLessThanOrEqual(0.3);
        expect(total("memory")).toBeLessThanOrEqual(640 * 2 ** 20);
    });
});

describe("the counter presets", () => {
    it("are lean by default, in dev and in the production profile alike", () => {
        expect(validateStackConfig({}).dcgmExporter.counters).toBe("lean");
        expect(validateStackConfig(PRODUCTION).dcgmExporter.counters).toBe("lean");
        expect(values().customMetrics).toBe(countersCsv(LEAN_DCGM_COUNTERS));
    });

    it("lean: exactly the fields the dashboards and alert rules query, plus the incident fields", () => {
        expect([...STACK_DCGM_FIELDS].sort()).toEqual(dcgmFieldsQueried());
        expect(fieldsOf(LEAN_DCGM_COUNTERS).sort()).toEqual([...STACK_DCGM_FIELDS, ...INCIDENT_DCGM_FIELDS].sort());
    });

    it("lean's incident fields: power and thermal throttling, PCIe replays, remapped memory rows, the driver version", () => {
        expect(INCIDENT_DCGM_FIELDS).toEqual([
            "DCGM_FI_DEV_POWER_VIOLATION",
            "DCGM_FI_DEV_THERMAL_VIOLATION",
            "DCGM_FI_DEV_PCIE_REPLAY_COUNTER",
            "DCGM_FI_DEV_UNCORRECTABLE_REMAPPED_ROWS",
            "DCGM_FI_DEV_ROW_REMAP_FAILURE",
            "DCGM_FI_DRIVER_VERSION",
        ]);
    });

    it("lean writes fewer series per GPU than the exporter's default", () => {
        const series = (counters: readonly { type: string }[]) => counters.filter((c) => c.type !== "label").length;
        expect(series(LEAN_DCGM_COUNTERS)).toBe(15);
        expect(series(DEFAULT_DCGM_COUNTERS)).toBe(25);
    });

    it("default: the exporter's own default-counters.csv", () => {
        const upstream = csvLines("default-counters.csv", { commented: false });
        expect(DEFAULT_DCGM_COUNTERS.map((c) => [c.field, c.type, c.help])).toEqual(upstream);
    });

    it("full: every field dcp-metrics-included.csv names, its commented-out ones included, the uncommented line winning", () => {
        const all = csvLines("dcp-metrics-included.csv", { commented: true });
        const active = csvLines("dcp-metrics-included.csv", { commented: false });
        expect(fieldsOf(FULL_DCGM_COUNTERS).sort()).toEqual([...new Set(all.map(([field]) => field))].sort());
        for (const [field, type, help] of active) expect(FULL_DCGM_COUNTERS).toContainEqual({ field, type, help });
        for (const [field, type, help] of all.filter(([field]) => !active.some(([f]) => f === field)))
            expect(FULL_DCGM_COUNTERS).toContainEqual({ field, type, help });
        expect(FULL_DCGM_COUNTERS.length).toBeGreaterThan(DEFAULT_DCGM_COUNTERS.length);
    });

    it("take types and help texts from the exporter's files, for lean as for full", () => {
        for (const counter of [...LEAN_DCGM_COUNTERS, ...DEFAULT_DCGM_COUNTERS]) expect(FULL_DCGM_COUNTERS).toContainEqual(counter);
    });

    it.each(Object.keys(DCGM_COUNTER_SETS))("%s has every field the dashboards and alert rules query", (preset) => {
        const fields = fieldsOf(DCGM_COUNTER_SETS[preset as keyof typeof DCGM_COUNTER_SETS]);
        expect(dcgmFieldsQueried().filter((field) => !fields.includes(field))).toEqual([]);
    });

    it("render as CSV the exporter reads, one field per line", () => {
        for (const counters of Object.values(DCGM_COUNTER_SETS)) {
            const lines = countersCsv(counters).trim().split("\n");
            expect(lines).toHaveLength(counters.length);
            for (const line of lines) expect(line.split(",")).toHaveLength(3);
        }
    });
});

describe("the DCGM exporter release", () => {
    it("is installed by the dev stack and left out of a CPU-only cluster", async () => {
        expect(valuesOf(await runIndex(devStackConfig()), "dcgm-exporter").nodeSelector).toEqual({ "nvidia.com/gpu.present": "true" });
        const cpuOnly = await runIndex(stackConfig({ dcgmExporter: { enabled: false } }));
        expect(cpuOnly.resources.some((r) => r.type === "gpu-observability:index:DcgmExporter")).toBe(false);
    });
});
