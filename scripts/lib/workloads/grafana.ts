// The Grafana chart 12.x: one Deployment (or StatefulSet) built by templates/_pod.tpl, whose
// k8s-sidecar containers are named <chart name>-sc-<kind> (or -init-sc-<kind> as init containers),
// and the optional image renderer.
import YAML from "yaml";
import {
    at,
    ChartInventory,
    Container,
    container,
    fullname,
    isEmpty,
    listedContainers,
    scaledReplicas,
    valueOr,
    Values,
    Workload,
} from "./values";

// values key -> the container's name suffix (templates/_pod.tpl: -sc-dashboard, singular).
const SIDECARS = {
    alerts: "alerts",
    dashboards: "dashboard",
    datasources: "datasources",
    notifiers: "notifiers",
    plugins: "plugins",
} as const;

// extraContainers is a string the chart passes through `tpl`; a list is accepted too.
function extraContainers(values: Values): Container[] {
    const raw = at(values, "extraContainers");
    const list = typeof raw === "string" ? (YAML.parse(raw) ?? []) : raw;
    return listedContainers({ extraContainers: list }, "extraContainers", false);
}

export const grafana: ChartInventory = (values, release) => {
    const name = fullname(values, release);
    const chartName = valueOr(values, "nameOverride", "grafana") || "grafana";
    const persistence = valueOr(values, "persistence.enabled", false);
    const persistenceType = valueOr(values, "persistence.type", "pvc");
    const statefulSet =
        valueOr(values, "useStatefulSet", false) ||
        (persistence && !at(values, "persistence.existingClaim") && ["sts", "statefulset"].includes(persistenceType));
    const init: Container[] = [];
    const sidecars: Container[] = [];
    if (persistence && valueOr(values, "initChownData.enabled", true))
        init.push(container(values, "init-chown-data", "initChownData.resources", true));
    if (!isEmpty(at(values, "dashboards"))) init.push(container(values, "download-dashboards", "downloadDashboards.resources", true));
    init.push(...listedContainers(values, "extraInitContainers", true));
    for (const [kind, suffix] of Object.entries(SIDECARS)) {
        if (!valueOr(values, `sidecar.${kind}.enabled`, false)) continue;
        const initFlag = `sidecar.${kind}.init${kind[0].toUpperCase()}${kind.slice(1)}`;
        if (kind !== "plugins" && valueOr(values, initFlag, false)) {
            // With restartPolicy Always it is a native sidecar: it keeps running beside Grafana.
            const always = at(values, `sidecar.${kind}.restartPolicy`) === "Always";
            init.push({ ...container(values, `${chartName}-init-sc-${suffix}`, "sidecar.resources", true), sidecar: always });
        } else {
            sidecars.push(container(values, `${chartName}-sc-${suffix}`, "sidecar.resources"));
        }
    }
    const size = String(valueOr(values, "persistence.size", "10Gi"));
    const workloads: Workload[] = [
        {
            kind: statefulSet ? "StatefulSet" : "Deployment",
            name,
            placement: scaledReplicas(values, "autoscaling", Number(valueOr(values, "replicas", 1))),
            containers: [...init, ...sidecars, container(values, "grafana", "resources"), ...extraContainers(values)],
            // templates/statefulset.yaml claims `storage` per pod; templates/pvc.yaml one claim the pods share.
            volumes: !persistence
                ? []
                : statefulSet
                  ? [{ claim: "storage", size, perPod: true }]
                  : persistenceType === "pvc" && !at(values, "persistence.existingClaim")
                    ? [{ claim: name, size, perPod: false }]
                    : [],
        },
    ];
    if (valueOr(values, "imageRenderer.enabled", false)) {
        workloads.push({
            kind: "Deployment",
            name: `${name}-image-renderer`,
            placement: scaledReplicas(values, "imageRenderer.autoscaling", Number(valueOr(values, "imageRenderer.replicas", 1))),
            containers: [container(values, "grafana-image-renderer", "imageRenderer.resources")],
            volumes: [],
        });
    }
    return workloads;
};
