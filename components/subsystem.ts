import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ChartPin } from "../config/charts";
import { MirrorConfig } from "../config/mirror";
import { HelmValues, installChart } from "./helm";

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
    /** Private registries every chart and image comes from (air-gapped clusters). */
    mirror?: MirrorConfig;
}

/** Labels that select a subsystem's pods. */
export type PodLabels = Record<string, string>;

/**
 * The labels a chart following Helm's conventions selects its pods by (its Services' selectors):
 * the chart's name and the release's. The operator-managed pods of kube-prometheus-stack differ.
 */
export const chartPods = (pin: ChartPin, releaseName: string): PodLabels => ({
    "app.kubernetes.io/name": pin.chart,
    "app.kubernetes.io/instance": releaseName,
});

/** Arguments of a pure values function. */
export interface ValuesInput<Settings> {
    settings: Settings;
    releaseName: string;
    storageClass?: string;
    /** Whether the chart may render ServiceMonitors (prometheus-operator's CRDs are installed). */
    serviceMonitors: boolean;
}

/** How a subsystem installs its chart. */
export interface SubsystemChart<Settings> {
    chart: ChartPin;
    /** The Helm release name: `args.releaseName`, or the subsystem's default. */
    releaseName: string;
    /** The release's values; an Output where they depend on other components' endpoints. */
    values: (input: ValuesInput<Settings>) => pulumi.Input<HelmValues>;
    /** What the release waits for besides prometheus-operator's CRDs. */
    dependsOn?: pulumi.Resource[];
}

/**
 * Installs a subsystem's chart as a child of its component: values from its settings, the user's
 * extraValues merged last, after the CRDs its monitors need.
 */
export function installSubsystem<Settings extends { extraValues: HelmValues }>(
    component: pulumi.ComponentResource,
    name: string,
    args: SubsystemArgs<Settings>,
    { chart, releaseName, values, dependsOn = [] }: SubsystemChart<Settings>,
): k8s.helm.v3.Release {
    return installChart(
        name,
        {
            chart,
            releaseName,
            namespace: args.namespace,
            values: values({
                settings: args.settings,
                releaseName,
                storageClass: args.storageClass,
                serviceMonitors: args.monitoringCrds !== undefined,
            }),
            extraValues: args.settings.extraValues,
            mirror: args.mirror,
        },
        { parent: component, dependsOn: [...(args.monitoringCrds ? [args.monitoringCrds] : []), ...dependsOn] },
    );
}

export const componentType = (name: string) => `gpu-observability:index:${name}`;
