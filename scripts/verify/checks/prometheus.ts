import { StackConfig } from "../../../config/schema";
import { Check, CheckContext } from "../context";
import { describeAnswer, isSuccess, jsonOf } from "../http";
import { dcgmExporterJob, disabledReason, labelSelector } from "../stackTargets";

const TARGETS_PATH = "/api/v1/targets?state=active";

/** An active target as Prometheus' /api/v1/targets lists it. */
export interface ActiveTarget {
    labels: Record<string, string>;
    discoveredLabels?: Record<string, string>;
    health: "up" | "down" | "unknown";
    lastError?: string;
}

interface TargetsAnswer {
    data?: { activeTargets?: ActiveTarget[] };
}

const plural = (count: number, noun: string): string => `${count} ${noun}${count === 1 ? "" : "s"}`;

const nameOf = (target: ActiveTarget): string => `${target.labels.job ?? "?"}/${target.labels.instance ?? "?"}`;

// The DCGM exporter's ServiceMonitor labels each target with its node (components/dcgmExporter.ts);
// service discovery knows it too, should a user's extraValues replace those relabelings.
const nodeOf = (target: ActiveTarget): string | undefined =>
    target.labels.node ??
    target.discoveredLabels?.["__meta_kubernetes_pod_node_name"] ??
    target.discoveredLabels?.["__meta_kubernetes_endpoint_node_name"];

async function activeTargets(context: CheckContext): Promise<ActiveTarget[]> {
    const prometheus = await context.endpoint(context.services.prometheus);
    const answer = await context.request(prometheus, TARGETS_PATH);
    const what = `GET ${prometheus.label}${TARGETS_PATH}`;
    if (!isSuccess(answer)) throw new Error(`${what} ${describeAnswer(answer)}`);
    return jsonOf<TargetsAnswer>(answer, what).data?.activeTargets ?? [];
}

/**
 * Every target Prometheus scrapes is up, and the DCGM exporter has an up target on every GPU node
 * (the nodes its nodeSelector matches).
 */
export function prometheusChecks(config: StackConfig): Check[] {
    // Both checks read the same list: asked for once.
    let targets: Promise<ActiveTarget[]> | undefined;
    const listTargets = (context: CheckContext) => (targets ??= activeTargets(context));
    return [
        {
            name: "prometheus-targets",
            skip: disabledReason(config, "prometheus"),
            run: async (context) => everyTargetUp(await listTargets(context)),
        },
        {
            name: "gpu-metrics",
            skip: disabledReason(config, "prometheus", "dcgmExporter"),
            run: async (context) => {
                const { nodeSelector } = config.dcgmExporter;
                const gpuNodes = await context.withinTimeLimit(`listing the nodes matching ${labelSelector(nodeSelector)}`, () =>
                    context.cluster.nodesMatching(nodeSelector),
                );
                return exporterOnEveryGpuNode(await listTargets(context), gpuNodes, nodeSelector, dcgmExporterJob(config));
            },
        },
    ];
}

function everyTargetUp(targets: ActiveTarget[]): string {
    if (targets.length === 0) throw new Error("Prometheus has no active targets: no ServiceMonitor or PodMonitor was picked up");
    const notUp = targets.filter((target) => target.health !== "up");
    if (notUp.length) {
        const reasons = notUp.map((t) => `${nameOf(t)} is ${t.health}${t.lastError ? ` (${t.lastError})` : ""}`);
        throw new Error(`${notUp.length} of ${targets.length} targets not up: ${reasons.join("; ")}`);
    }
    return `all ${targets.length} targets of ${new Set(targets.map((target) => target.labels.job)).size} jobs up`;
}

function exporterOnEveryGpuNode(targets: ActiveTarget[], gpuNodes: string[], nodeSelector: Record<string, string>, job: string): string {
    const up = targets.filter((target) => target.labels.job === job && target.health === "up");
    const counts =
        `${plural(gpuNodes.length, "GPU node")} ${gpuNodes.length === 1 ? "matches" : "match"} ${labelSelector(nodeSelector)}, ` +
        `${plural(up.length, `${job} target`)} up`;
    if (up.length === gpuNodes.length) return counts;
    const covered = new Set(up.map(nodeOf));
    const uncovered = gpuNodes.filter((node) => !covered.has(node));
    const where = up.length < gpuNodes.length && uncovered.length ? `; no up target on ${uncovered.join(", ")}` : "";
    throw new Error(`${counts}: expected one up target of job ${job} per GPU node${where}`);
}
