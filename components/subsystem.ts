import * as pulumi from "@pulumi/pulumi";

/** What every subsystem component takes besides its own settings. */
export interface SubsystemArgs<Settings> {
    /** Namespace of the release; an Output of the stack's Namespace so releases wait for it. */
    namespace: pulumi.Input<string>;
    /** The subsystem's validated settings (a key of the stack config). */
    settings: Settings;
    /** StorageClass for PersistentVolumeClaims; the cluster default when unset. */
    storageClass?: string;
    /**
     * The release that installs prometheus-operator's CRDs, when Prometheus is installed: the
     * chart's ServiceMonitors are then on, and the release waits for it.
     */
    monitoringCrds?: pulumi.Resource;
    /** Helm release name; every Service name of the release derives from it. */
    releaseName?: string;
}

/** Arguments of a pure values function. */
export interface ValuesInput<Settings> {
    settings: Settings;
    releaseName: string;
    storageClass?: string;
    /** Whether the chart may render ServiceMonitors (prometheus-operator's CRDs are installed). */
    serviceMonitors: boolean;
}

export function valuesInput<Settings>(args: SubsystemArgs<Settings>, releaseName: string): ValuesInput<Settings> {
    return {
        settings: args.settings,
        releaseName,
        storageClass: args.storageClass,
        serviceMonitors: args.monitoringCrds !== undefined,
    };
}

/** Options of a subsystem's release: a child of its component, after the CRDs its monitors need. */
export function releaseOptions(
    parent: pulumi.Resource,
    args: SubsystemArgs<unknown>,
    ...dependsOn: pulumi.Resource[]
): pulumi.CustomResourceOptions {
    return { parent, dependsOn: [...(args.monitoringCrds ? [args.monitoringCrds] : []), ...dependsOn] };
}

export const componentType = (name: string) => `gpu-observability:index:${name}`;
