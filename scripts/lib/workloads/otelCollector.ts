// The OpenTelemetry Collector chart 0.x: one workload of the chosen mode (templates/_pod.tpl),
// its container named after the chart.
import { ChartInventory, claimTemplates, container, fullname, listedContainers, Placement, scaledReplicas, valueOr } from "./values";

const KINDS = { deployment: "Deployment", statefulset: "StatefulSet", daemonset: "DaemonSet" } as const;

export const opentelemetryCollector: ChartInventory = (values, release) => {
    const mode = String(valueOr(values, "mode", ""));
    const kind = KINDS[mode as keyof typeof KINDS];
    if (kind === undefined) throw new Error(`opentelemetry-collector mode "${mode}" is not in the footprint's inventory`);
    const placement: Placement =
        kind === "DaemonSet"
            ? { daemonSet: "all-nodes" }
            : scaledReplicas(values, "autoscaling", Number(valueOr(values, "replicaCount", 1)));
    return [
        {
            kind,
            name: fullname(values, release),
            placement,
            containers: [
                ...listedContainers(values, "initContainers", true),
                container(values, "opentelemetry-collector", "resources"),
                ...listedContainers(values, "extraContainers", false),
            ],
            volumes: kind === "StatefulSet" ? claimTemplates(values, "statefulset.volumeClaimTemplates") : [],
        },
    ];
};
