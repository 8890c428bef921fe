import { dcgmExporterValues } from "../components/dcgmExporter";
import { CHARTS, countersCsv, DEFAULT_DCGM_COUNTERS, validateStackConfig } from "../config";
import { devStackConfig, runIndex, stackConfig, valuesOf } from "./helpers/run";
import { chartFile } from "./helpers/shared";

const values = (dcgmExporter: Record<string, unknown> = {}): any =>
    dcgmExporterValues({
        settings: validateStackConfig({ dcgmExporter }).dcgmExporter,
        serviceMonitors: true,
        releaseName: "dcgm-exporter",
    });

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

    it("export the configured counters, mounted where the exporter's -f flag reads them", () => {
        const counters = [{ field: "DCGM_FI_DEV_GPU_UTIL", type: "gauge", help: "GPU utilization (in %)." }];
        const v = values({ counters });
        expect(v.customMetrics).toBe("DCGM_FI_DEV_GPU_UTIL, gauge, GPU utilization (in %).\n");
        expect(v.arguments).toEqual(["-f", "/etc/dcgm-exporter/default-counters.csv"]);
        expect(v.extraVolumeMounts).toContainEqual(expect.objectContaining({ mountPath: "/etc/dcgm-exporter/default-counters.csv" }));
    });

    it("restart the exporter when the counter list changes", () => {
        const checksum = (v: any) => v.podAnnotations["gpu-observability/counters-checksum"];
        expect(checksum(values())).toMatch(/^[0-9a-f]{64}$/);
        expect(checksum(values({ counters: [DEFAULT_DCGM_COUNTERS[0]] }))).not.toBe(checksum(values()));
    });

    it("keep the pod and namespace labels of the workload using each GPU", () => {
        expect(values().serviceMonitor).toMatchObject({ enabled: true, honorLabels: true });
    });

    it("add only the SYS_ADMIN capability the profiling counters need", () => {
        expect(values().securityContext.capabilities).toEqual({ drop: ["ALL"], add: ["SYS_ADMIN"] });
        expect(values().securityContext.allowPrivilegeEscalation).toBe(false);
    });
});

describe("the default counter list", () => {
    it("is the exporter's own default-counters.csv", () => {
        const upstream = chartFile(CHARTS.dcgmExporter, "default-counters.csv")
            .split("\n")
            .filter((line) => line.trim() && !line.startsWith("#"))
            .map((line) => line.split(",").map((part) => part.trim()))
            .map(([field, type]) => `${field} ${type}`);
        expect(DEFAULT_DCGM_COUNTERS.map((c) => `${c.field} ${c.type}`)).toEqual(upstream);
    });

    it("renders as CSV the exporter reads, one field per line", () => {
        const lines = countersCsv(DEFAULT_DCGM_COUNTERS).trim().split("\n");
        expect(lines).toHaveLength(DEFAULT_DCGM_COUNTERS.length);
        for (const line of lines) expect(line.split(",")).toHaveLength(3);
    });
});

describe("the DCGM exporter release", () => {
    it("is installed by the dev stack and left out of a CPU-only cluster", async () => {
        expect(valuesOf(await runIndex(devStackConfig()), "dcgm-exporter").nodeSelector).toEqual({ "nvidia.com/gpu.present": "true" });
        const cpuOnly = await runIndex(stackConfig({ dcgmExporter: { enabled: false } }));
        expect(cpuOnly.resources.some((r) => r.type === "gpu-observability:index:DcgmExporter")).toBe(false);
    });
});
