// The workloads each pinned chart renders, read off a release's final values: which Deployments,
// StatefulSets, DaemonSets and Jobs, their containers and the values path each one's resources
// come from, and their volumes. tests/fixtures/renderedWorkloads.ts holds what the real charts
// render for the example configs; tests/footprint.test.ts holds this inventory to it.
import { CHARTS } from "../../../config/charts";
import { dcgmExporter } from "./dcgmExporter";
import { grafana } from "./grafana";
import { kubePrometheusStack } from "./kubePrometheusStack";
import { alloy, promtail } from "./logShippers";
import { loki } from "./loki";
import { minio } from "./minio";
import { opentelemetryCollector } from "./otelCollector";
import { tempo, tempoDistributed } from "./tempo";
import { ChartInventory, Values, Workload } from "./values";

export * from "./values";

/** Each pinned chart's inventory, by the chart's name. */
export const CHART_INVENTORIES: Readonly<Record<(typeof CHARTS)[keyof typeof CHARTS]["chart"], ChartInventory>> = {
    loki,
    tempo,
    "tempo-distributed": tempoDistributed,
    grafana,
    promtail,
    alloy,
    "kube-prometheus-stack": kubePrometheusStack,
    "opentelemetry-collector": opentelemetryCollector,
    "dcgm-exporter": dcgmExporter,
    minio,
};

/** The chart's name from a Helm Release's `chart` input: `loki`, or `oci://registry/path/loki` from a mirror. */
export const chartName = (chart: string): string => chart.split("/").pop() ?? chart;

/** The workloads of one Helm release, given its `name`, `chart` and final `values`. */
export function releaseWorkloads(release: { name: string; chart: string; values?: Values }): Workload[] {
    const chart = chartName(release.chart);
    const inventory = (CHART_INVENTORIES as Record<string, ChartInventory | undefined>)[chart];
    if (inventory === undefined) throw new Error(`chart ${chart} (release ${release.name}) has no footprint inventory`);
    return inventory(release.values ?? {}, { name: release.name, chart });
}
