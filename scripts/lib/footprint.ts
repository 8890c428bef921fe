// What the stack costs a cluster, from the values `pulumi up` would apply: each Helm release's
// workloads (./workloads), their pods on a cluster of a given shape, summed per subsystem.
import { parseQuantity } from "../../config/formats";
import { helmReleases, ProgramRun } from "./mockEngine";
import { chartName, Container, releaseWorkloads, ResourceFigures, Workload } from "./workloads";

/** The cluster the footprint is for: `nodes` in all, `gpuNodes` of them with GPUs. */
export interface ClusterShape {
    nodes: number;
    gpuNodes: number;
}

/** Cores and bytes; storage is what the PersistentVolumeClaims request. */
export interface Figures {
    cpuRequest: number;
    memoryRequest: number;
    cpuLimit: number;
    memoryLimit: number;
    storage: number;
}

/** The stack config key each chart belongs to. */
const SUBSYSTEM_OF_CHART: Record<string, string> = {
    "kube-prometheus-stack": "prometheus",
    loki: "loki",
    tempo: "tempo",
    "tempo-distributed": "tempo",
    grafana: "grafana",
    promtail: "logs",
    alloy: "logs",
    "opentelemetry-collector": "otelCollector",
    "dcgm-exporter": "dcgmExporter",
    minio: "objectStorage",
};

export interface ReleaseWorkload extends Workload {
    subsystem: string;
    release: string;
}

/** Every workload the program's releases render, and what keeps the footprint from being exact. */
export interface StackInventory {
    workloads: ReleaseWorkload[];
    /** Containers without all four figures, charts without an inventory, workloads outside Helm. */
    problems: string[];
}

// Kinds that run pods; the program registers its own objects (dashboards, rules, policies,
// Secrets) directly, and none of them may be one of these, or this count would miss it.
const POD_KINDS = /^kubernetes:(apps\/v1:(Deployment|StatefulSet|DaemonSet|ReplicaSet)|batch\/v1:(Job|CronJob)|core\/v1:Pod)$/;
const FIGURES = [
    ["requests", "cpu"],
    ["requests", "memory"],
    ["limits", "cpu"],
    ["limits", "memory"],
] as const;

/** The workloads of every Helm release the run registered, and each container lacking a figure. */
export function stackInventory(run: ProgramRun): StackInventory {
    const workloads: ReleaseWorkload[] = [];
    const problems: string[] = [];
    for (const release of helmReleases(run)) {
        const { name, chart, values } = release.inputs;
        const subsystem = SUBSYSTEM_OF_CHART[chartName(String(chart))] ?? chartName(String(chart));
        try {
            for (const workload of releaseWorkloads({ name, chart, values })) workloads.push({ ...workload, subsystem, release: name });
        } catch (error) {
            problems.push(`release ${name}: ${(error as Error).message}`);
        }
    }
    for (const workload of workloads) {
        for (const c of workload.containers) {
            const missing = FIGURES.filter(
                ([kind, resource]) => parseQuantity(String(c.resources?.[kind]?.[resource] ?? "")) === undefined,
            );
            if (missing.length > 0) {
                problems.push(
                    `release ${workload.release}: ${workload.kind} ${workload.name}, ${c.init ? "init container" : "container"} ${c.name}: ` +
                        `no ${missing.map((m) => m.join(".")).join(", ")} (resources at ${c.from})`,
                );
            }
        }
    }
    for (const object of run.resources.filter((r) => r.custom && POD_KINDS.test(r.type))) {
        problems.push(
            `${object.type.split(":").pop()} ${object.name} is registered outside any Helm release; the footprint does not count it`,
        );
    }
    return { workloads, problems };
}

const figure = (resources: ResourceFigures | undefined, kind: "requests" | "limits", resource: "cpu" | "memory"): number =>
    parseQuantity(String(resources?.[kind]?.[resource] ?? "")) ?? 0;

/**
 * What one pod asks for, as the scheduler counts it: its containers together, or its largest init
 * container if that is more (native sidecars, restartPolicy Always, run beside both).
 */
export function podFigures(containers: Container[]): Omit<Figures, "storage"> {
    const of = (kind: "requests" | "limits", resource: "cpu" | "memory") => {
        const sum = (list: Container[]) => list.reduce((total, c) => total + figure(c.resources, kind, resource), 0);
        const sidecars = sum(containers.filter((c) => c.init && c.sidecar));
        const running = sum(containers.filter((c) => !c.init)) + sidecars;
        const inits = containers.filter((c) => c.init && !c.sidecar).map((c) => figure(c.resources, kind, resource) + sidecars);
        return Math.max(running, ...inits);
    };
    return {
        cpuRequest: of("requests", "cpu"),
        memoryRequest: of("requests", "memory"),
        cpuLimit: of("limits", "cpu"),
        memoryLimit: of("limits", "memory"),
    };
}

/** How many pods of a workload run on the cluster: DaemonSets one per node they select. */
export function podCount(workload: Workload, shape: ClusterShape): number {
    const { placement } = workload;
    if ("replicas" in placement) return placement.replicas;
    return placement.daemonSet === "gpu-nodes" ? shape.gpuNodes : shape.nodes;
}

const milli = (cores: number): number => Math.round(cores * 1000) / 1000;

const ZERO: Figures = { cpuRequest: 0, memoryRequest: 0, cpuLimit: 0, memoryLimit: 0, storage: 0 };
const add = (a: Figures, b: Figures): Figures => ({
    cpuRequest: a.cpuRequest + b.cpuRequest,
    memoryRequest: a.memoryRequest + b.memoryRequest,
    cpuLimit: a.cpuLimit + b.cpuLimit,
    memoryLimit: a.memoryLimit + b.memoryLimit,
    storage: a.storage + b.storage,
});

export interface WorkloadFootprint {
    workload: ReleaseWorkload;
    pods: number;
    perPod: Omit<Figures, "storage">;
    total: Figures;
}

export interface Footprint {
    shape: ClusterShape;
    /** Steady-state workloads (Jobs are not). */
    workloads: WorkloadFootprint[];
    /** One-off Jobs (hooks that create buckets and the like): listed, not counted. */
    jobs: WorkloadFootprint[];
    subsystems: { subsystem: string; pods: number; figures: Figures }[];
    total: Figures & { pods: number };
}

/** The footprint of an inventory on a cluster of the given shape. */
export function footprintOf(inventory: StackInventory, shape: ClusterShape): Footprint {
    const measured = inventory.workloads.map((workload): WorkloadFootprint => {
        const pods = podCount(workload, shape);
        const perPod = podFigures(workload.containers);
        const storage = workload.volumes.reduce((total, v) => total + (parseQuantity(v.size) ?? 0) * (v.perPod ? pods : 1), 0);
        const scaled = {
            cpuRequest: perPod.cpuRequest * pods,
            memoryRequest: perPod.memoryRequest * pods,
            cpuLimit: perPod.cpuLimit * pods,
            memoryLimit: perPod.memoryLimit * pods,
            storage,
        };
        return { workload, pods, perPod, total: scaled };
    });
    const workloads = measured.filter((m) => m.workload.kind !== "Job");
    const subsystems: Footprint["subsystems"] = [];
    for (const m of workloads) {
        let entry = subsystems.find((s) => s.subsystem === m.workload.subsystem);
        if (!entry) subsystems.push((entry = { subsystem: m.workload.subsystem, pods: 0, figures: ZERO }));
        entry.pods += m.pods;
        entry.figures = add(entry.figures, m.total);
    }
    // Sums of decimal quantities: millicores are the unit, nothing finer.
    for (const s of subsystems) s.figures = { ...s.figures, cpuRequest: milli(s.figures.cpuRequest), cpuLimit: milli(s.figures.cpuLimit) };
    const total = { ...subsystems.reduce((sum, s) => add(sum, s.figures), ZERO), pods: subsystems.reduce((n, s) => n + s.pods, 0) };
    total.cpuRequest = milli(total.cpuRequest);
    total.cpuLimit = milli(total.cpuLimit);
    return { shape, workloads, jobs: measured.filter((m) => m.workload.kind === "Job"), subsystems, total };
}

/** One dev-profile target: a figure in requests against its bound. */
export interface TargetCheck {
    what: string;
    cpu: number;
    memory: number;
    cpuBound: number;
    memoryBound: number;
    pass: boolean;
}

const MIB = 2 ** 20;

/**
 * The dev profile's targets, in requests: the whole stack on a one-node cluster whose node has a
 * GPU, and what each further CPU-only node and each further GPU node adds (its DaemonSet pods).
 */
export function devTargets(inventory: StackInventory): TargetCheck[] {
    const requests = (shape: ClusterShape) => footprintOf(inventory, shape).total;
    const one = requests({ nodes: 1, gpuNodes: 1 });
    const plusCpu = requests({ nodes: 2, gpuNodes: 1 });
    const plusGpu = requests({ nodes: 2, gpuNodes: 2 });
    const check = (what: string, cpu: number, memory: number, cpuBound: number, memoryBound: number): TargetCheck => ({
        what,
        cpu,
        memory,
        cpuBound,
        memoryBound,
        // A hair of rounding slack: the figures are sums of decimal quantities.
        pass: cpu <= cpuBound + 1e-9 && memory <= memoryBound,
    });
    return [
        check("whole stack, one node with a GPU", one.cpuRequest, one.memoryRequest, 2, 4096 * MIB),
        check(
            "each additional CPU-only node",
            plusCpu.cpuRequest - one.cpuRequest,
            plusCpu.memoryRequest - one.memoryRequest,
            0.15,
            256 * MIB,
        ),
        check("each additional GPU node", plusGpu.cpuRequest - one.cpuRequest, plusGpu.memoryRequest - one.memoryRequest, 0.3, 640 * MIB),
    ];
}

/** Cores in millicores, as `kubectl describe node` writes them. */
export const formatCpu = (cores: number): string => `${Math.round(cores * 1000)}m`;

/** Bytes in Mi below 10 Gi, else in Gi. */
export function formatBytes(bytes: number): string {
    if (bytes === 0) return "0";
    return bytes < 10 * 2 ** 30 ? `${Math.round(bytes / MIB)}Mi` : `${(bytes / 2 ** 30).toFixed(1)}Gi`;
}

/** Storage in Gi. */
export const formatStorage = (bytes: number): string => (bytes === 0 ? "0" : `${(bytes / 2 ** 30).toFixed(1)}Gi`);

/** The per-subsystem table and total, as `npm run footprint` prints it. */
export function footprintTable(footprint: Footprint): string[] {
    const header = ["subsystem", "pods", "CPU req", "mem req", "CPU lim", "mem lim", "storage"];
    const row = (name: string, pods: number, f: Figures) => [
        name,
        String(pods),
        formatCpu(f.cpuRequest),
        formatBytes(f.memoryRequest),
        formatCpu(f.cpuLimit),
        formatBytes(f.memoryLimit),
        formatStorage(f.storage),
    ];
    const rows = [
        header,
        ...footprint.subsystems.map((s) => row(s.subsystem, s.pods, s.figures)),
        row("total", footprint.total.pods, footprint.total),
    ];
    const widths = header.map((_, i) => Math.max(...rows.map((r) => r[i].length)));
    const line = (r: string[]) => r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join("  ");
    const lines = rows.map(line);
    lines.splice(1, 0, widths.map((w) => "-".repeat(w)).join("  "));
    lines.splice(lines.length - 1, 0, widths.map((w) => "-".repeat(w)).join("  "));
    return lines;
}
