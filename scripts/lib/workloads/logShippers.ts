// The log shippers: Promtail 6.x (templates/_pod.tpl of a DaemonSet, or a Deployment) and Alloy 1.x
// (templates/controllers/_pod.yaml: alloy, and the config reloader beside it).
import {
    at,
    ChartInventory,
    Container,
    container,
    fullname,
    isEmpty,
    listedContainers,
    Placement,
    scaledReplicas,
    valueOr,
    Values,
    Volume,
    Workload,
} from "./values";

// Promtail's extraContainers is a map of name -> container.
function namedContainers(values: Values, path: string): Container[] {
    const map = at(values, path);
    if (map === undefined || map === null || typeof map !== "object") return [];
    return Object.entries(map as Values).map(([name, spec]) => ({
        name,
        init: false,
        from: `${path}.${name}.resources`,
        resources: isEmpty(spec?.resources) ? undefined : spec.resources,
    }));
}

export const promtail: ChartInventory = (values, release) => {
    const containers = [
        ...listedContainers(values, "initContainer", true),
        container(values, "promtail", "resources"),
        ...(valueOr(values, "sidecar.configReloader.enabled", false)
            ? [container(values, "config-reloader", "sidecar.configReloader.resources")]
            : []),
        ...namedContainers(values, "extraContainers"),
    ];
    const name = fullname(values, release);
    const workloads: Workload[] = [];
    if (valueOr(values, "daemonset.enabled", true)) {
        workloads.push({ kind: "DaemonSet", name, placement: { daemonSet: "all-nodes" }, containers, volumes: [] });
    }
    if (valueOr(values, "deployment.enabled", false)) {
        const placement = scaledReplicas(values, "deployment.autoscaling", Number(valueOr(values, "deployment.replicaCount", 1)));
        workloads.push({ kind: "Deployment", name, placement, containers, volumes: [] });
    }
    return workloads;
};

export const alloy: ChartInventory = (values, release) => {
    const type = String(valueOr(values, "controller.type", "daemonset"));
    const kind = ({ daemonset: "DaemonSet", deployment: "Deployment", statefulset: "StatefulSet" } as const)[type];
    if (kind === undefined) throw new Error(`Alloy controller.type ${type} is not in the footprint's inventory`);
    const placement: Placement =
        kind === "DaemonSet"
            ? { daemonSet: "all-nodes" }
            : scaledReplicas(values, "controller.autoscaling", Number(valueOr(values, "controller.replicas", 1)));
    const volumes: Volume[] =
        kind === "StatefulSet"
            ? ((at(values, "controller.volumeClaimTemplates") as Values[] | undefined) ?? []).map((claim) => ({
                  claim: String(claim?.metadata?.name),
                  size: String(claim?.spec?.resources?.requests?.storage),
                  perPod: true,
              }))
            : [];
    return [
        {
            kind,
            name: fullname(values, release),
            placement,
            containers: [
                ...listedContainers(values, "controller.initContainers", true),
                // `agent` is the chart's old name for the `alloy` block, merged over it.
                container(values, "alloy", ["agent.resources", "alloy.resources"]),
                ...(valueOr(values, "configReloader.enabled", true)
                    ? [container(values, "config-reloader", "configReloader.resources")]
                    : []),
                ...listedContainers(values, "controller.extraContainers", false),
            ],
            volumes,
        },
    ];
};
