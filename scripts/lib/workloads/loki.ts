// The Loki chart (grafana-community loki 18.x): templates/_workload.tpl and _pod.tpl render every
// component the same way; memcached caches, the gateway and the canary have their own templates.
import {
    at,
    ChartInventory,
    Container,
    container,
    fullname,
    listedContainers,
    ResourceFigures,
    scaledReplicas,
    valueOr,
    Values,
    Volume,
    Workload,
} from "./values";

// templates/_helpers.tpl loki.isUsingObjectStorage; the chart's default storage type is s3.
const OBJECT_STORES = ["s3", "gcs", "azure", "swift", "alibabacloud", "cos", "bos"];
const MONOLITHIC = ["SingleBinary", "Monolithic", "SingleBinary<->SimpleScalable", "Monolithic<->SimpleScalable"];
const SCALABLE = ["SingleBinary<->SimpleScalable", "Monolithic<->SimpleScalable", "SimpleScalable", "SimpleScalable<->Distributed"];
const DISTRIBUTED = ["Distributed", "SimpleScalable<->Distributed"];

/** One component through loki.component.workload: `target` names the container and the workload's suffix. */
function component(
    values: Values,
    key: string,
    target: string,
    name: string,
    defaults: { kind: string; replicas: number; sidecar: boolean; claims: boolean },
    replicas?: number,
): Workload[] {
    const spec = (at(values, key) ?? {}) as Values;
    if (!valueOr(spec, "enabled", true)) return [];
    const kind = valueOr(spec, "kind", defaults.kind) as Workload["kind"];
    const placement = scaledReplicas(spec, "autoscaling", replicas ?? Number(valueOr(spec, "replicas", defaults.replicas)));
    const containers: Container[] = [
        ...listedContainers(values, `${key}.initContainers`, true),
        container(values, target === "single-binary" ? "loki" : target, [`${key}.resources`, "defaults.resources", "loki.resources"]),
        ...(valueOr(spec, "sidecar", defaults.sidecar) && valueOr(values, "sidecar.rules.enabled", true)
            ? [container(values, "loki-sc-rules", "sidecar.resources")]
            : []),
        ...listedContainers(values, `${key}.extraContainers`, false),
    ];
    return [{ kind, name, placement, containers, volumes: kind === "StatefulSet" ? claims(spec, target, defaults.claims) : [] }];
}

// The volumeClaimTemplates of _workload.tpl: the listed claims, plus the data claim unless listed.
// `chartDefault`: whether the chart's values turn claims on (singleBinary persistence.enabled,
// write and backend persistence.volumeClaimsEnabled; 10Gi each).
function claims(spec: Values, target: string, chartDefault: boolean): Volume[] {
    const persistence = (spec.persistence ?? {}) as Values;
    const on =
        target === "single-binary"
            ? valueOr(persistence, "enabled", chartDefault)
            : valueOr(persistence, "volumeClaimsEnabled", chartDefault) || valueOr(persistence, "enabled", false);
    if (!on || valueOr(persistence, "type", "pvc") !== "pvc") return [];
    const listed: Values[] = Array.isArray(persistence.claims) ? persistence.claims : [];
    const volumes = listed.map((claim) => ({ claim: String(claim.name), size: String(claim.size), perPod: true }));
    if (!listed.some((claim) => claim.name === "data")) {
        volumes.push({
            claim: target === "single-binary" ? "storage" : "data",
            size: String(valueOr(persistence, "size", "10Gi")),
            perPod: true,
        });
    }
    return volumes;
}

// templates/memcached/_memcached-statefulset.tpl: with no `resources` the chart sizes memcached
// from allocatedMemory (MiB, x1.2) and allocatedCPU, and sets no CPU limit.
function memcached(values: Values, key: string, name: string, chart: { enabled: boolean; allocatedMemory: number }): Workload[] {
    const cache = (at(values, key) ?? {}) as Values;
    if (!valueOr(cache, "enabled", chart.enabled) || !valueOr(values, "memcached.enabled", true)) return [];
    let main = container(values, "memcached", `${key}.resources`);
    if (main.resources === undefined) {
        const memory = `${Math.floor((Number(valueOr(cache, "allocatedMemory", chart.allocatedMemory)) * 12 + 5) / 10)}Mi`;
        const sized: ResourceFigures = { requests: { cpu: valueOr(cache, "allocatedCPU", "500m"), memory }, limits: { memory } };
        main = { ...main, from: `${key}.allocatedMemory and .allocatedCPU (the chart's sizing)`, resources: sized };
    }
    const containers = [
        ...listedContainers(values, `${key}.initContainers`, true),
        ...listedContainers(values, `${key}.extraContainers`, false),
        main,
        ...(valueOr(values, "memcachedExporter.enabled", true) ? [container(values, "exporter", "memcachedExporter.resources")] : []),
    ];
    const volumes = valueOr(cache, "persistence.enabled", false)
        ? [{ claim: "data", size: String(at(cache, "persistence.storageSize")), perPod: true }]
        : [];
    return [{ kind: "StatefulSet", name, placement: { replicas: Number(valueOr(cache, "replicas", 1)) }, containers, volumes }];
}

export const loki: ChartInventory = (values, release) => {
    const name = fullname(values, release);
    const mode = String(valueOr(values, "deploymentMode", "Monolithic"));
    const objectStorage = OBJECT_STORES.includes(String(valueOr(values, "loki.storage.type", "s3")));
    if (objectStorage && DISTRIBUTED.includes(mode)) {
        throw new Error(`Loki deploymentMode ${mode} (microservices) is not in the footprint's inventory`);
    }
    const workloads: Workload[] = [];
    if (MONOLITHIC.includes(mode)) {
        // loki.monolithicReplicas: more than one only on object storage.
        const wanted = Number(valueOr(values, "singleBinary.replicas", 0));
        const sts = { kind: "StatefulSet", replicas: 0, sidecar: true, claims: true };
        workloads.push(...component(values, "singleBinary", "single-binary", name, sts, objectStorage && wanted > 1 ? wanted : 1));
    }
    if (objectStorage && SCALABLE.includes(mode)) {
        workloads.push(
            ...component(values, "read", "read", `${name}-read`, { kind: "Deployment", replicas: 3, sidecar: false, claims: false }),
            ...component(values, "write", "write", `${name}-write`, { kind: "StatefulSet", replicas: 3, sidecar: false, claims: true }),
            ...component(values, "backend", "backend", `${name}-backend`, {
                kind: "StatefulSet",
                replicas: 3,
                sidecar: true,
                claims: true,
            }),
        );
    }
    if (valueOr(values, "gateway.enabled", true)) {
        workloads.push({
            kind: "Deployment",
            name: `${name}-gateway`,
            placement: { replicas: Number(valueOr(values, "gateway.replicas", 1)) },
            containers: [
                container(values, "nginx", ["gateway.resources", "defaults.resources"]),
                ...(valueOr(values, "gateway.metrics.enabled", true) ? [container(values, "exporter", "gateway.metrics.resources")] : []),
                ...listedContainers(values, "gateway.extraContainers", false),
            ],
            volumes: [],
        });
    }
    if (valueOr(values, "lokiCanary.enabled", true)) {
        const kind = valueOr(values, "lokiCanary.kind", "DaemonSet") as Workload["kind"];
        workloads.push({
            kind,
            name: `${name}-canary`,
            placement: kind === "DaemonSet" ? { daemonSet: "all-nodes" } : { replicas: Number(valueOr(values, "lokiCanary.replicas", 1)) },
            containers: [container(values, "canary", "lokiCanary.resources")],
            volumes: [],
        });
    }
    // The chart's own sizes (values.yaml): the chunk cache's 8 GiB is the one the issue names.
    workloads.push(...memcached(values, "chunksCache", `${name}-chunks-cache`, { enabled: true, allocatedMemory: 8192 }));
    if (valueOr(values, "chunksCache.enabled", true)) {
        const l2 = `${name}-chunks-cache-${valueOr(values, "chunksCache.l2.suffix", "l2")}`;
        workloads.push(...memcached(values, "chunksCache.l2", l2, { enabled: false, allocatedMemory: 8192 }));
    }
    workloads.push(...memcached(values, "resultsCache", `${name}-results-cache`, { enabled: true, allocatedMemory: 1024 }));
    return workloads;
};
