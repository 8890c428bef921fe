// The Tempo charts: `tempo` (one StatefulSet, templates/statefulset.yaml) and `tempo-distributed`
// 3.x (one workload per component through templates/_pod.tpl tempo.podTemplate, memcached
// through templates/memcached/_helpers-memcached.tpl).
import { at, ChartInventory, Container, container, fullname, listedContainers, Placement, Values, valueOr, Workload } from "./values";

export const tempo: ChartInventory = (values, release) => [
    {
        kind: "StatefulSet",
        name: fullname(values, release),
        placement: { replicas: Number(valueOr(values, "replicas", 1)) },
        containers: [
            ...listedContainers(values, "initContainers", true),
            container(values, "tempo", "tempo.resources"),
            ...(valueOr(values, "tempoQuery.enabled", false) ? [container(values, "tempo-query", "tempoQuery.resources")] : []),
            ...listedContainers(values, "extraContainers", false),
        ],
        volumes: valueOr(values, "persistence.enabled", false)
            ? [{ claim: "storage", size: String(valueOr(values, "persistence.size", "10Gi")), perPod: true }]
            : [],
    },
];

/** A component through tempo.podTemplate: its container is named after the component. */
function component(
    values: Values,
    base: string,
    key: string,
    target: string,
    kind: Workload["kind"],
    chart: { replicas: number },
    extra: Container[] = [],
): Workload {
    const placement: Placement = valueOr(values, `${key}.autoscaling.enabled`, false)
        ? { replicas: Number(valueOr(values, `${key}.autoscaling.minReplicas`, 1)) }
        : { replicas: Number(valueOr(values, `${key}.replicas`, chart.replicas)) };
    return {
        kind,
        name: `${base}-${target}`,
        placement,
        containers: [
            ...listedContainers(values, `${key}.initContainers`, true),
            container(values, target, [`${key}.resources`, "tempo.resources", "defaults.resources"]),
            ...extra,
            ...listedContainers(values, `${key}.extraContainers`, false),
        ],
        volumes: [],
    };
}

function memcached(values: Values, base: string, key: string, suffix: string, chartEnabled: boolean): Workload[] {
    if (!valueOr(values, `${key}.enabled`, chartEnabled)) return [];
    return [
        {
            kind: "StatefulSet",
            name: `${base}-${suffix}`,
            placement: { replicas: Number(valueOr(values, `${key}.replicas`, 1)) },
            containers: [
                container(values, "memcached", `${key}.resources`),
                ...(valueOr(values, "memcachedExporter.enabled", false)
                    ? [container(values, "exporter", "memcachedExporter.resources")]
                    : []),
                ...listedContainers(values, `${key}.extraContainers`, false),
            ],
            volumes: [],
        },
    ];
}

export const tempoDistributed: ChartInventory = (values, release) => {
    // The components name themselves <fullname>-<component> (tempo.resourceName); the chart's
    // name for its fullname is "tempo".
    const base = fullname(values, { ...release, chart: "tempo" });
    const workloads: Workload[] = [
        component(values, base, "distributor", "distributor", "Deployment", { replicas: 1 }),
        component(values, base, "querier", "querier", "Deployment", { replicas: 1 }),
        component(
            values,
            base,
            "queryFrontend",
            "query-frontend",
            "Deployment",
            { replicas: 1 },
            valueOr(values, "queryFrontend.query.enabled", false)
                ? [container(values, "tempo-query", "queryFrontend.query.resources")]
                : [],
        ),
    ];
    if (valueOr(values, "metricsGenerator.enabled", false)) {
        const kind = valueOr(values, "metricsGenerator.kind", "Deployment") as Workload["kind"];
        const generator = component(values, base, "metricsGenerator", "metrics-generator", kind, { replicas: 1 });
        if (kind === "StatefulSet" && valueOr(values, "metricsGenerator.persistence.enabled", false)) {
            generator.volumes.push({
                claim: "wal",
                size: String(valueOr(values, "metricsGenerator.persistence.size", "10Gi")),
                perPod: true,
            });
        }
        workloads.push(generator);
    }
    if (valueOr(values, "blockBuilder.enabled", true)) {
        workloads.push(component(values, base, "blockBuilder", "block-builder", "StatefulSet", { replicas: 3 }));
    }
    if (valueOr(values, "liveStore.enabled", true)) {
        workloads.push(component(values, base, "liveStore", "live-store", "StatefulSet", { replicas: 3 }));
    }
    if (valueOr(values, "backendScheduler.enabled", true)) {
        // templates/backend-scheduler: always one scheduler; the workers follow backendWorker.replicas.
        workloads.push(
            {
                ...component(values, base, "backendScheduler", "backend-scheduler", "StatefulSet", { replicas: 1 }),
                placement: { replicas: 1 },
            },
            component(values, base, "backendWorker", "backend-worker", "StatefulSet", { replicas: 1 }),
        );
    }
    if (valueOr(values, "gateway.enabled", false)) {
        workloads.push({
            kind: "Deployment",
            name: `${base}-gateway`,
            placement: { replicas: Number(valueOr(values, "gateway.replicas", 1)) },
            containers: [container(values, "nginx", "gateway.resources")],
            volumes: [],
        });
    }
    workloads.push(
        ...memcached(values, base, "memcached", "memcached", true),
        ...memcached(values, base, "memcachedBloom", "memcached-bloom", false),
        ...memcached(values, base, "memcachedParquetFooter", "memcached-parquet-footer", false),
        ...memcached(values, base, "memcachedFrontendSearch", "memcached-frontend-search", false),
    );
    for (const key of ["rollout_operator.enabled", "metaMonitoring.grafanaAgent.enabled", "enterprise.enabled"]) {
        if (at(values, key) === true)
            throw new Error(`tempo-distributed's ${key.replace(/\.enabled$/, "")} is not in the footprint's inventory`);
    }
    return workloads;
};
