import * as pulumi from "@pulumi/pulumi";

/** What every subsystem component takes besides its own settings. */
export interface SubsystemArgs<Settings> {
    /** Namespace of the release; an Output of the stack's Namespace so releases wait for it. */
    namespace: pulumi.Input<string>;
    /** The subsystem's validated settings (a key of the stack config). */
    settings: Settings;
    /** StorageClass for PersistentVolumeClaims; the cluster default when unset. */
    storageClass?: string;
    /** Whether prometheus-operator's CRDs exist, so the chart may create ServiceMonitors. */
    serviceMonitors: boolean;
    /** Helm release name; every Service name of the release derives from it. */
    releaseName?: string;
}

/** Arguments of a pure values function: everything but the namespace, which values never need. */
export type ValuesInput<Settings> = Required<Pick<SubsystemArgs<Settings>, "settings" | "serviceMonitors" | "releaseName">> &
    Pick<SubsystemArgs<Settings>, "storageClass">;

export const componentType = (name: string) => `gpu-observability:index:${name}`;
