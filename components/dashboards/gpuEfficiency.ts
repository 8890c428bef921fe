// GPU efficiency: the GPUs pods request (and the cluster pays for) against the GPUs they use.
// Requests come from kube-state-metrics, use from DCGM, which labels a GPU with the pod holding it.

import * as dashboard from "@grafana/grafana-foundation-sdk/dashboard";
import * as units from "@grafana/grafana-foundation-sdk/units";
import { DCGM, DCGM_LABELS, KUBE_STATE_METRICS as KSM } from "../metricNames";
import {
    aggregate,
    anyOf,
    avgOverTime,
    DashboardMeta,
    DashboardSpec,
    eq,
    labelVariable,
    LabelVariable,
    Matcher,
    matches,
    ne,
    nre,
    orZero,
    query,
    selector,
    Selector,
    stackDashboard,
    stat,
    sumBy,
    table,
    timeseries,
    toSpec,
} from "./common";
import { ACTIVE_POD_PHASES, KSM_LABELS as K } from "./names";

export const GPU_EFFICIENCY: DashboardMeta = {
    uid: "gpu-efficiency",
    title: "GPU efficiency",
    folder: "GPU",
    description:
        "GPUs requested by pods against the GPUs they use: who holds GPUs that sit idle, per namespace and workload, and what each node has left.",
    tags: ["gpu", "dcgm", "kubernetes", "cost"],
};

/** Below this utilisation (%) a GPU a pod holds counts as idle. */
export const DEFAULT_IDLE_THRESHOLD_PERCENT = 5;

const D = DCGM_LABELS;
const WORKLOAD = "workload";
const gpuResource = eq(K.resource, KSM.gpuResource);

export const NAMESPACE: LabelVariable = {
    name: "namespace",
    label: "Namespace",
    description: "Namespaces of pods that request GPUs.",
    labelName: K.namespace,
    source: selector(gpuResource).series(KSM.containerResourceRequests),
};
export const NODE: LabelVariable = {
    name: "node",
    label: "Node",
    description: "Nodes with allocatable GPUs.",
    labelName: K.node,
    source: selector(gpuResource).series(KSM.nodeAllocatable),
};

const POD = [K.namespace, K.pod];

/**
 * GPUs requested per container of the active pods, `pods` narrowing which. Active: Pending or
 * Running, as the kubernetes-mixin counts requests; a finished pod's requests are released.
 */
function gpuRequests(pods: Selector): string {
    const active = aggregate("max", `${pods.and(anyOf(K.phase, ACTIVE_POD_PHASES)).series(KSM.podStatusPhase)} == 1`, POD);
    return `${pods.and(gpuResource, matches(NODE)).series(KSM.containerResourceRequests)} * on (${POD.join(", ")}) group_left () ${active}`;
}
const requested = gpuRequests(selector(matches(NAMESPACE)));
/** Every namespace's requests: what a node has left does not depend on the namespace looked at. */
const requestedOnNodes = gpuRequests(selector());
const allocatable = selector(gpuResource, matches(NODE)).series(KSM.nodeAllocatable);

/** The GPUs pods hold, one series each: the exporter labels a GPU with its pod only while a pod holds it. */
const held = selector(ne(D.pod, ""), matches(NAMESPACE), matches(NODE));
const HELD_GPU = [D.node, D.gpu, D.uuid, D.namespace, D.pod];
const heldUtil = aggregate("max", held.series(DCGM.gpuUtil), HELD_GPU);
const heldUtilOverRange = aggregate("max", avgOverTime(held.series(DCGM.gpuUtil)), HELD_GPU);

// kube_pod_owner names a pod's controller; a workload is what a person deployed.
const owners = selector(matches(NAMESPACE), ne(K.ownerIsController, "false"));
const workloadFrom = (kind: Matcher, sourceLabel: string, regex: string) => {
    const [target, source, pattern] = [WORKLOAD, sourceLabel, regex].map((s) => JSON.stringify(s));
    return `label_replace(${owners.and(kind).series(KSM.podOwner)}, ${target}, "$1", ${source}, ${pattern})`;
};
/** 1 per pod, labelled `workload`: its Deployment, StatefulSet, DaemonSet or Job, or the pod itself when bare. */
const workloadOf = aggregate(
    "max",
    [
        // A Deployment's pods belong to its ReplicaSet, named <deployment>-<pod-template-hash>.
        workloadFrom(eq(K.ownerKind, "ReplicaSet"), K.ownerName, "(.+)-[^-]+"),
        // kube-state-metrics writes owner_kind="<none>" for a pod without a controller.
        workloadFrom(eq(K.ownerKind, "<none>"), K.pod, "(.+)"),
        workloadFrom(nre(K.ownerKind, "ReplicaSet|<none>"), K.ownerName, "(.+)"),
    ].join(" or "),
    [...POD, WORKLOAD],
);
/** `expr`, per pod, labelled with the pod's workload. */
const withWorkload = (expr: string) => `(${expr}) * on (${POD.join(", ")}) group_left (${WORKLOAD}) ${workloadOf}`;
const BY_WORKLOAD = [K.namespace, WORKLOAD];

/** The GPU efficiency dashboard; its variables: datasource, namespace, node. */
export function gpuEfficiencyDashboard(idleThresholdPercent = DEFAULT_IDLE_THRESHOLD_PERCENT): DashboardSpec {
    if (!(idleThresholdPercent > 0 && idleThresholdPercent <= 100)) {
        throw new Error(`idleThresholdPercent must be in (0, 100], got ${idleThresholdPercent}`);
    }
    const idle = `${heldUtil} < ${idleThresholdPercent}`;
    const idleOverRange = `${heldUtilOverRange} < ${idleThresholdPercent}`;
    const idleTitle = `under ${idleThresholdPercent}% utilisation`;
    const usedEquivalents = (by: string[] = []) => `${aggregate("sum", heldUtil, by)} / 100`;

    const overview = (b: dashboard.DashboardBuilder) =>
        b
            .withRow(new dashboard.RowBuilder("Requested against used"))
            .withPanel(
                stat(
                    {
                        title: "Allocatable GPUs",
                        description: "GPUs the selected nodes offer to pods (kube_node_status_allocatable, nvidia.com/gpu).",
                        unit: units.Short,
                    },
                    orZero(aggregate("sum", allocatable)),
                ),
            )
            .withPanel(
                stat(
                    {
                        title: "Requested GPUs",
                        description:
                            "GPUs requested by pods that are scheduled and not finished: what the cluster reserves, and someone pays for.",
                        unit: units.Short,
                    },
                    orZero(aggregate("sum", requested)),
                ),
            )
            .withPanel(
                stat(
                    {
                        title: "GPUs held by pods",
                        description: "GPUs the DCGM exporter sees allocated to a pod right now.",
                        unit: units.Short,
                    },
                    orZero(aggregate("count", heldUtil)),
                ),
            )
            .withPanel(
                stat(
                    {
                        title: "GPU-equivalents used",
                        description: "Sum of the held GPUs' utilisation in whole GPUs: 4 GPUs at 25% use 1 GPU-equivalent.",
                        unit: units.Short,
                    },
                    orZero(usedEquivalents()),
                ),
            )
            .withPanel(
                stat(
                    {
                        title: `Held GPUs ${idleTitle}`,
                        description: `GPUs a pod holds whose utilisation is under ${idleThresholdPercent}% now: allocated, paid for, idle.`,
                        unit: units.Short,
                    },
                    orZero(aggregate("count", idle)),
                    [
                        [null, "green"],
                        [1, "orange"],
                    ],
                ),
            )
            .withPanel(
                stat(
                    {
                        title: "Held GPU utilisation over the range",
                        description: "Average utilisation of the GPUs pods held, over the dashboard's time range.",
                        unit: units.Percent,
                    },
                    aggregate("avg", heldUtilOverRange),
                    [
                        [null, "red"],
                        [idleThresholdPercent, "orange"],
                        [50, "green"],
                    ],
                ),
            )
            .withPanel(
                timeseries(
                    {
                        title: "Requested, held, used and idle GPUs",
                        description: `Requested (kube-state-metrics), held by pods and used in GPU-equivalents (DCGM), and held ${idleTitle}. The gap between requested and used is what idles.`,
                        unit: units.Short,
                    },
                    query(aggregate("sum", requested), "requested"),
                    query(aggregate("count", heldUtil), "held"),
                    query(usedEquivalents(), "used (GPU-equivalents)"),
                    query(aggregate("count", idle), `idle (< ${idleThresholdPercent}%)`),
                ).span(24),
            );

    const perNamespace = (b: dashboard.DashboardBuilder) =>
        b
            .withRow(new dashboard.RowBuilder("Per namespace"))
            .withPanel(
                timeseries(
                    {
                        title: "Requested GPUs per namespace",
                        description: "GPUs requested by each namespace's active pods.",
                        unit: units.Short,
                    },
                    query(sumBy([K.namespace], requested), `{{${K.namespace}}}`),
                ),
            )
            .withPanel(
                timeseries(
                    {
                        title: "GPU-equivalents used per namespace",
                        description:
                            "Sum of the utilisation of each namespace's held GPUs, in whole GPUs. Compare with the requested GPUs beside it.",
                        unit: units.Short,
                    },
                    query(usedEquivalents([D.namespace]), `{{${D.namespace}}}`),
                ),
            )
            .withPanel(
                timeseries(
                    {
                        title: `Held GPUs ${idleTitle} per namespace`,
                        description: `GPUs each namespace holds at under ${idleThresholdPercent}% utilisation.`,
                        unit: units.Short,
                    },
                    query(aggregate("count", idle, [D.namespace]), `{{${D.namespace}}}`),
                ),
            )
            .withPanel(
                timeseries(
                    {
                        title: "Held GPU utilisation per namespace",
                        description: "Average utilisation of the GPUs each namespace holds.",
                        unit: units.Percent,
                    },
                    query(aggregate("avg", heldUtil, [D.namespace]), `{{${D.namespace}}}`),
                )
                    .min(0)
                    .max(100),
            );

    const perWorkload = (b: dashboard.DashboardBuilder) =>
        b
            .withRow(new dashboard.RowBuilder("Per workload"))
            .withPanel(
                table(
                    {
                        title: "GPU workloads over the range",
                        description: `Per workload (Deployment, StatefulSet, Job, or bare pod): GPUs requested and held now, their average utilisation over the time range, and how many of them averaged under ${idleThresholdPercent}%.`,
                    },
                    [
                        { title: "Requested GPUs", expr: sumBy(BY_WORKLOAD, withWorkload(requested)), unit: units.Short },
                        { title: "Held GPUs", expr: aggregate("count", withWorkload(heldUtil), BY_WORKLOAD), unit: units.Short },
                        {
                            title: "Utilisation over the range",
                            expr: aggregate("avg", withWorkload(heldUtilOverRange), BY_WORKLOAD),
                            unit: units.Percent,
                        },
                        {
                            title: `GPUs ${idleTitle} over the range`,
                            expr: aggregate("count", withWorkload(idleOverRange), BY_WORKLOAD),
                            unit: units.Short,
                        },
                    ],
                ),
            )
            .withPanel(
                timeseries(
                    {
                        title: `Held GPUs ${idleTitle} per workload`,
                        description: `GPUs each workload holds at under ${idleThresholdPercent}% utilisation, over time.`,
                        unit: units.Short,
                    },
                    query(aggregate("count", withWorkload(idle), BY_WORKLOAD), `{{${K.namespace}}}/{{${WORKLOAD}}}`),
                ).span(24),
            );

    const perNodeAllocatable = sumBy([K.node], allocatable);
    const perNode = (b: dashboard.DashboardBuilder) =>
        b
            .withRow(new dashboard.RowBuilder("Nodes"))
            .withPanel(
                timeseries(
                    {
                        title: "Allocatable and requested GPUs per node",
                        description: "What each GPU node offers and what its active pods, of every namespace, request.",
                        unit: units.Short,
                    },
                    query(perNodeAllocatable, `{{${K.node}}} allocatable`),
                    query(sumBy([K.node], requestedOnNodes), `{{${K.node}}} requested`),
                ),
            )
            .withPanel(
                timeseries(
                    {
                        title: "Unrequested GPUs per node",
                        description: "Allocatable minus requested: GPUs a new pod could still be scheduled on.",
                        unit: units.Short,
                    },
                    // A node where nothing requests a GPU has no request series: count it as 0 requested.
                    query(`${perNodeAllocatable} - (${sumBy([K.node], requestedOnNodes)} or 0 * ${perNodeAllocatable})`, `{{${K.node}}}`),
                ),
            );

    const builder = stackDashboard(GPU_EFFICIENCY, [NAMESPACE, NODE].map(labelVariable));
    return toSpec(
        GPU_EFFICIENCY,
        [overview, perNamespace, perWorkload, perNode].reduce((b, section) => section(b), builder),
    );
}
