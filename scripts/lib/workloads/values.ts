// What a chart renders, read off a release's final Helm values: the shared types and helpers of
// the per-chart inventories beside this file.

/** A release's final values, as the Helm Release receives them: untyped by nature. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Values = Record<string, any>;

/** A container's `resources`, as Kubernetes takes them. */
export interface ResourceFigures {
    requests?: { cpu?: string | number; memory?: string | number };
    limits?: { cpu?: string | number; memory?: string | number };
}

export interface Container {
    /** The container's name in the pod the chart (or operator) creates. */
    name: string;
    /** An init container: runs to completion before the others start... */
    init: boolean;
    /** ...unless it is a native sidecar (restartPolicy Always): then it runs beside them. */
    sidecar?: boolean;
    /** The values path its resources come from (the first non-empty of a chart's fallbacks). */
    from: string;
    resources?: ResourceFigures;
}

/** Which pods of a workload run: a count, or one per node (all nodes, or GPU nodes only). */
export type Placement = { replicas: number } | { daemonSet: "all-nodes" | "gpu-nodes" };

export interface Volume {
    claim: string;
    size: string;
    /** A volumeClaimTemplate: one claim per pod. Otherwise one claim the pods share. */
    perPod: boolean;
}

export interface Workload {
    kind: "Deployment" | "StatefulSet" | "DaemonSet" | "Job";
    name: string;
    placement: Placement;
    containers: Container[];
    volumes: Volume[];
    /** Who creates it when the chart does not: prometheus-operator from a Prometheus resource. */
    createdBy?: string;
}

/** What an inventory knows of the release besides its values. */
export interface ReleaseInfo {
    /** The Helm release name. */
    name: string;
    /** The chart's own name (subcharts name their objects after it). */
    chart: string;
}

/** The workloads a chart renders for the given values. */
export type ChartInventory = (values: Values, release: ReleaseInfo) => Workload[];

/** The value at a dotted path (`singleBinary.resources`), or undefined. */
export function at(values: Values | undefined, path: string): unknown {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    return path.split(".").reduce<any>((value, key) => (value === undefined || value === null ? undefined : value[key]), values);
}

/** The value at a path, or the chart's default when the values leave it unset. */
export function valueOr<T>(values: Values | undefined, path: string, chartDefault: T): T {
    const value = at(values, path);
    return value === undefined || value === null ? chartDefault : (value as T);
}

/** Helm's (sprig's) `empty`: nil, false, 0, "", and empty lists and maps. */
export function isEmpty(value: unknown): boolean {
    if (value === undefined || value === null || value === false || value === 0 || value === "") return true;
    if (Array.isArray(value)) return value.length === 0;
    if (typeof value === "object") return Object.keys(value).length === 0;
    return false;
}

/**
 * A container whose resources come from the first non-empty of `paths`, as the templates'
 * `coalesce` picks them (`coalesce $component.resources .Values.defaults.resources`).
 */
export function container(values: Values, name: string, paths: string | string[], init = false): Container {
    const candidates = Array.isArray(paths) ? paths : [paths];
    const from = candidates.find((path) => !isEmpty(at(values, path)));
    return {
        name,
        init,
        from: from ?? candidates.join(" | "),
        resources: from === undefined ? undefined : (at(values, from) as ResourceFigures),
    };
}

/** Containers a chart copies from a values list (extraContainers, initContainers), each with its own resources. */
export function listedContainers(values: Values, path: string, init: boolean): Container[] {
    const list = at(values, path);
    if (!Array.isArray(list)) return [];
    return list.map((item: Values, i) => ({
        name: String(item?.name),
        init,
        from: `${path}[${i}].resources`,
        resources: isEmpty(item?.resources) ? undefined : item.resources,
    }));
}

/** Helm's usual fullname: fullnameOverride, else the release name, suffixed with the chart's unless it holds it. */
export function fullname(values: Values, release: ReleaseInfo): string {
    const override = at(values, "fullnameOverride");
    if (typeof override === "string" && override !== "") return override.slice(0, 63).replace(/-+$/, "");
    const name = valueOr(values, "nameOverride", release.chart) || release.chart;
    const full = release.name.includes(name) ? release.name : `${release.name}-${name}`;
    return full.slice(0, 63).replace(/-+$/, "");
}

/** A StatefulSet's volumeClaimTemplates as given in values (`[{ metadata: { name }, spec: { resources } }]`). */
export function claimTemplates(values: Values, path: string): Volume[] {
    const list = at(values, path);
    if (!Array.isArray(list)) return [];
    return list.map((claim: Values) => ({
        claim: String(claim?.metadata?.name),
        size: String(claim?.spec?.resources?.requests?.storage),
        perPod: true,
    }));
}

/**
 * The pods of a workload the chart may autoscale: the autoscaler's minimum when
 * `<autoscaling>.enabled` is on, else the given replica count.
 */
export function scaledReplicas(values: Values | undefined, autoscaling: string, replicas: number): Placement {
    return valueOr(values, `${autoscaling}.enabled`, false)
        ? { replicas: Number(valueOr(values, `${autoscaling}.minReplicas`, 1)) }
        : { replicas };
}
