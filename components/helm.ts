import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ChartPin } from "../config/charts";
import { mergeReplacingLists } from "../config/merge";
import { MirrorConfig } from "../config/mirror";
import { chartSource, mirrorValues } from "./mirror";

export type HelmValues = Record<string, unknown>;

/** Deep-merges `overrides` into `values`; lists are replaced whole, as Helm does with values files. */
export function mergeValues(values: HelmValues, ...overrides: HelmValues[]): HelmValues {
    return mergeReplacingLists<HelmValues>(values, ...overrides);
}

export interface ChartReleaseArgs {
    /** The chart, its version and repository, from config/charts.ts. */
    chart: ChartPin;
    /** The Helm release name; every Service name of the release derives from it. */
    releaseName: string;
    namespace: pulumi.Input<string>;
    /** The values the project computes for the release. */
    values: pulumi.Input<HelmValues>;
    /** The user's escape hatch, merged last. */
    extraValues: HelmValues;
    /** Private registries every chart and image comes from. */
    mirror?: MirrorConfig;
}

/**
 * Installs one pinned chart as a Helm release. Upgrades are atomic (a failed upgrade rolls back
 * and cleans up) within a timeout, so a bad change never leaves a half-applied release.
 */
export function installChart(name: string, args: ChartReleaseArgs, opts: pulumi.CustomResourceOptions): k8s.helm.v3.Release {
    return new k8s.helm.v3.Release(
        name,
        {
            name: args.releaseName,
            ...chartSource(args.chart, args.mirror),
            version: args.chart.version,
            namespace: args.namespace,
            createNamespace: false,
            values: pulumi
                .output(args.values)
                .apply((values) => mergeValues(values as HelmValues, mirrorValues(args.chart, args.mirror), args.extraValues)),
            atomic: true,
            cleanupOnFail: true,
            timeout: 600,
        },
        opts,
    );
}

/**
 * In-cluster URL of a Service the release renders, `http://<release><suffix>.<namespace>.svc.cluster.local:<port><path>`,
 * built from the release's own outputs so that whoever uses it waits for the release.
 */
export function releaseServiceUrl(
    release: k8s.helm.v3.Release,
    port: number,
    { suffix = "", path = "", scheme = "http" }: { suffix?: string; path?: string; scheme?: string | null } = {},
): pulumi.Output<string> {
    const prefix = scheme ? `${scheme}://` : "";
    return pulumi.interpolate`${prefix}${release.name}${suffix}.${release.namespace}.svc.cluster.local:${port}${path}`;
}
