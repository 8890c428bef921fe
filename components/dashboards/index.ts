// Ambient types of the SDK's subpath exports (see sdk.d.ts); referenced here so ts-node, which
// `pulumi up` type-checks the program with and which loads only what is imported, sees them too.
// eslint-disable-next-line @typescript-eslint/triple-slash-reference -- ambient declarations: there is no module to import
/// <reference path="./sdk.d.ts" />
// The stack's own dashboards, each included only when what it shows is installed.

import { DashboardSpec } from "./common";
import { DEFAULT_IDLE_THRESHOLD_PERCENT, gpuEfficiencyDashboard } from "./gpuEfficiency";
import { gpuFleetDashboard } from "./gpuFleet";
import { PipelineComponents, pipelineDashboard } from "./pipeline";
import { servicesDashboard } from "./services";

export { type DashboardSpec } from "./common";
export { Dashboards, type DashboardsArgs, dashboardConfigMap } from "./provisioning";
export { type PipelineComponents } from "./pipeline";
export { DEFAULT_IDLE_THRESHOLD_PERCENT };

/** What is installed, which decides the dashboards. */
export interface StackDashboardsInput {
    /** The DCGM exporter runs and Prometheus scrapes it: the GPU fleet and GPU efficiency dashboards. */
    gpu: boolean;
    /** Tempo's metrics generator writes span metrics to Prometheus: the Services dashboard. */
    spanMetrics: boolean;
    /** The telemetry pipeline's components: the Observability pipeline dashboard. */
    pipeline: PipelineComponents;
    /** Below this GPU utilisation (%) a GPU a pod holds counts as idle (default 5). */
    idleThresholdPercent?: number;
}

/** The dashboards of the installed subsystems, in a stable order. */
export function stackDashboards(input: StackDashboardsInput): DashboardSpec[] {
    const pipeline = pipelineDashboard(input.pipeline);
    return [
        ...(input.gpu ? [gpuFleetDashboard(), gpuEfficiencyDashboard(input.idleThresholdPercent ?? DEFAULT_IDLE_THRESHOLD_PERCENT)] : []),
        ...(input.spanMetrics ? [servicesDashboard()] : []),
        ...(pipeline ? [pipeline] : []),
    ];
}
