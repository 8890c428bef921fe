// GPU fleet: the state of every GPU the DCGM exporter reports, per node, per GPU and per pod.

import * as dashboard from "@grafana/grafana-foundation-sdk/dashboard";
import * as units from "@grafana/grafana-foundation-sdk/units";
import { DCGM, DCGM_LABELS } from "../metricNames";
import {
    aggregate,
    DashboardMeta,
    DashboardSpec,
    labelVariable,
    LabelVariable,
    matches,
    ne,
    orZero,
    query,
    selector,
    stackDashboard,
    stat,
    table,
    timeseries,
    toSpec,
    ZERO_IS_GOOD,
} from "./common";

export const GPU_FLEET: DashboardMeta = {
    uid: "gpu-fleet",
    title: "GPU fleet",
    folder: "GPU",
    description:
        "Every GPU the DCGM exporter reports: utilisation, memory, temperatures, power, clocks and XID errors, per node, GPU and pod.",
    tags: ["gpu", "dcgm"],
};

const L = DCGM_LABELS;

export const NODE: LabelVariable = {
    name: "node",
    label: "Node",
    description: "GPU nodes (the exporter's `node` label, set from the scraped pod's node).",
    labelName: L.node,
    source: DCGM.gpuUtil,
};
export const GPU: LabelVariable = {
    name: "gpu",
    label: "GPU",
    description: "GPU index on its node (nvidia-smi's numbering).",
    labelName: L.gpu,
    source: selector(matches(NODE)).series(DCGM.gpuUtil),
};
export const NAMESPACE: LabelVariable = {
    name: "namespace",
    label: "Namespace",
    description:
        "Namespace of the pod holding the GPU. All includes idle GPUs, which have no namespace; one namespace shows only its GPUs.",
    labelName: L.namespace,
    source: selector(matches(NODE)).series(DCGM.gpuUtil),
};

const fleet = selector(matches(NODE), matches(GPU), matches(NAMESPACE));
/** GPUs some pod holds: the exporter writes pod and namespace only on those. */
const held = fleet.and(ne(L.pod, ""));

const GPU_IDENTITY = [L.node, L.gpu, L.uuid, L.model];
/**
 * One series per GPU. A GPU shared by time-slicing appears once per pod using it, each with the
 * same device values: `max` keeps one.
 */
const perGpu = (metric: string) => aggregate("max", fleet.series(metric), GPU_IDENTITY);
const POD = [L.namespace, L.pod];
const GPU_LEGEND = `{{${L.node}}} GPU {{${L.gpu}}}`;
const POD_LEGEND = `{{${L.namespace}}}/{{${L.pod}}}`;
/** Framebuffer memory the driver reports as a whole: used + free + reserved (DCGM 3.x reports reserved apart). */
// Used + free, as the memory alert computes it: the share of what workloads can have, and it
// still answers where an exporter's list has no FB_RESERVED.
const fbTotal = `(${perGpu(DCGM.fbUsed)} + ${perGpu(DCGM.fbFree)})`;
// DCGM reports clocks in MHz; Grafana's frequency unit is Hz, which it scales back to MHz or GHz.
const MHZ = 1e6;

function summary(builder: dashboard.DashboardBuilder): dashboard.DashboardBuilder {
    return builder
        .withRow(new dashboard.RowBuilder("Fleet"))
        .withPanel(
            stat(
                { title: "GPUs", description: "GPUs reporting to the DCGM exporter, among the selected nodes.", unit: units.Short },
                orZero(aggregate("count", perGpu(DCGM.gpuUtil))),
            ),
        )
        .withPanel(
            stat(
                {
                    title: "GPUs held by a pod",
                    description: "GPUs allocated to a running pod (the exporter labels them with the pod that holds them).",
                    unit: units.Short,
                },
                orZero(aggregate("count", aggregate("max", held.series(DCGM.gpuUtil), GPU_IDENTITY))),
            ),
        )
        .withPanel(
            stat(
                {
                    title: "Average GPU utilisation",
                    description: "Mean of the selected GPUs' utilisation (DCGM_FI_DEV_GPU_UTIL).",
                    unit: units.Percent,
                },
                aggregate("avg", perGpu(DCGM.gpuUtil)),
            ),
        )
        .withPanel(
            stat(
                {
                    title: "Framebuffer used",
                    description: "Framebuffer memory in use across the selected GPUs, of their total.",
                    unit: units.PercentUnit,
                },
                `${aggregate("sum", perGpu(DCGM.fbUsed))} / ${aggregate("sum", fbTotal)}`,
            ),
        )
        .withPanel(
            stat(
                { title: "Power draw", description: "Power the selected GPUs draw together.", unit: units.Watt },
                aggregate("sum", perGpu(DCGM.powerUsage)),
            ),
        )
        .withPanel(
            stat(
                {
                    title: "GPUs with an XID error",
                    description:
                        "GPUs whose last XID error is non-zero: a driver-reported fault (see the Errors row and NVIDIA's XID catalogue).",
                    unit: units.Short,
                },
                orZero(aggregate("count", `${perGpu(DCGM.xidErrors)} != 0`)),
                ZERO_IS_GOOD,
            ),
        );
}

function utilisation(builder: dashboard.DashboardBuilder): dashboard.DashboardBuilder {
    return builder
        .withRow(new dashboard.RowBuilder("Utilisation"))
        .withPanel(
            timeseries(
                {
                    title: "GPU utilisation per GPU",
                    description:
                        "Share of time a kernel ran on the GPU (DCGM_FI_DEV_GPU_UTIL). 100% says the GPU was busy, not that all its SMs were.",
                    unit: units.Percent,
                },
                query(perGpu(DCGM.gpuUtil), GPU_LEGEND),
            )
                .min(0)
                .max(100),
        )
        .withPanel(
            timeseries(
                {
                    title: "GPU utilisation per pod",
                    description: "Mean utilisation of the GPUs each pod holds. Idle GPUs (held by no pod) are not shown here.",
                    unit: units.Percent,
                },
                query(aggregate("avg", held.series(DCGM.gpuUtil), POD), POD_LEGEND),
            )
                .min(0)
                .max(100),
        )
        .withPanel(
            timeseries(
                {
                    title: "Memory bandwidth utilisation per GPU",
                    description: "Share of time the GPU's memory was being read or written (DCGM_FI_DEV_MEM_COPY_UTIL).",
                    unit: units.Percent,
                },
                query(perGpu(DCGM.memCopyUtil), GPU_LEGEND),
            )
                .min(0)
                .max(100),
        )
        .withPanel(
            table(
                {
                    title: "GPUs and the pods holding them",
                    description:
                        "Every selected GPU with its node, index, UUID and model, and the pod and namespace holding it (empty when idle).",
                },
                [
                    {
                        title: "Utilisation",
                        expr: aggregate("max", fleet.series(DCGM.gpuUtil), [...GPU_IDENTITY, ...POD]),
                        unit: units.Percent,
                    },
                    {
                        title: "Framebuffer used",
                        expr: aggregate("max", fleet.series(DCGM.fbUsed), [...GPU_IDENTITY, ...POD]),
                        unit: units.Mebibytes,
                    },
                ],
            ).span(12),
        );
}

function memory(builder: dashboard.DashboardBuilder): dashboard.DashboardBuilder {
    return builder
        .withRow(new dashboard.RowBuilder("Framebuffer memory"))
        .withPanel(
            timeseries(
                {
                    title: "Framebuffer used per GPU",
                    description: "GPU memory allocated by processes (DCGM_FI_DEV_FB_USED).",
                    unit: units.Mebibytes,
                },
                query(perGpu(DCGM.fbUsed), GPU_LEGEND),
            ),
        )
        .withPanel(
            timeseries(
                {
                    title: "Framebuffer free per GPU",
                    description: "GPU memory still available (DCGM_FI_DEV_FB_FREE).",
                    unit: units.Mebibytes,
                },
                query(perGpu(DCGM.fbFree), GPU_LEGEND),
            ),
        )
        .withPanel(
            timeseries(
                {
                    title: "Framebuffer used % per GPU",
                    description:
                        "Used over used + free + reserved. A model that grows to 100% fails its next allocation (CUDA out of memory).",
                    unit: units.Percent,
                },
                query(`100 * ${perGpu(DCGM.fbUsed)} / ${fbTotal}`, GPU_LEGEND),
            )
                .min(0)
                .max(100),
        )
        .withPanel(
            timeseries(
                {
                    title: "Framebuffer used per pod",
                    description: "Memory used on the GPUs each pod holds (a GPU's whole usage, shared GPUs included).",
                    unit: units.Mebibytes,
                },
                query(aggregate("sum", aggregate("max", held.series(DCGM.fbUsed), [...GPU_IDENTITY, ...POD]), POD), POD_LEGEND),
            ),
        );
}

function thermalsPowerClocks(builder: dashboard.DashboardBuilder): dashboard.DashboardBuilder {
    return builder
        .withRow(new dashboard.RowBuilder("Temperature, power and clocks"))
        .withPanel(
            timeseries(
                {
                    title: "GPU temperature",
                    description: "Die temperature (DCGM_FI_DEV_GPU_TEMP). Data-centre GPUs slow their clocks down from about 85 °C.",
                    unit: units.Celsius,
                },
                query(perGpu(DCGM.gpuTemp), GPU_LEGEND),
            ),
        )
        .withPanel(
            timeseries(
                {
                    title: "Memory temperature",
                    description:
                        "HBM temperature (DCGM_FI_DEV_MEMORY_TEMP). GPUs without a memory sensor (most GDDR boards) report 0 or nothing.",
                    unit: units.Celsius,
                },
                query(perGpu(DCGM.memoryTemp), GPU_LEGEND),
            ),
        )
        .withPanel(
            timeseries(
                { title: "Power draw", description: "Power each GPU draws (DCGM_FI_DEV_POWER_USAGE).", unit: units.Watt },
                query(perGpu(DCGM.powerUsage), GPU_LEGEND),
            ),
        )
        .withPanel(
            timeseries(
                {
                    title: "SM clock",
                    description:
                        "Streaming multiprocessor clock (DCGM_FI_DEV_SM_CLOCK). A drop under load points at thermal or power throttling.",
                    unit: units.Hertz,
                },
                query(`${MHZ} * ${perGpu(DCGM.smClock)}`, GPU_LEGEND),
            ).span(6),
        )
        .withPanel(
            timeseries(
                { title: "Memory clock", description: "GPU memory clock (DCGM_FI_DEV_MEM_CLOCK).", unit: units.Hertz },
                query(`${MHZ} * ${perGpu(DCGM.memClock)}`, GPU_LEGEND),
            ).span(6),
        );
}

function errors(builder: dashboard.DashboardBuilder): dashboard.DashboardBuilder {
    return builder
        .withRow(new dashboard.RowBuilder("Errors"))
        .withPanel(
            timeseries(
                {
                    title: "Last XID error per GPU",
                    description:
                        "The code of the last XID error each GPU's driver reported (DCGM_FI_DEV_XID_ERRORS), 0 for none. 48 (double-bit ECC), 79 (fallen off the bus) and 94/95 (contained/uncontained ECC) need the node drained; 13, 31 and 43 are usually the application's fault.",
                    unit: units.NoUnit,
                },
                query(perGpu(DCGM.xidErrors), GPU_LEGEND),
            ),
        )
        .withPanel(
            table(
                {
                    title: "GPUs with a non-zero XID",
                    description:
                        "GPUs whose last XID error is not 0, with the node, index, UUID and model to find them by. Empty when all is well.",
                },
                [{ title: "Last XID", expr: `${perGpu(DCGM.xidErrors)} != 0`, unit: units.NoUnit }],
            ).span(12),
        );
}

/** The GPU fleet dashboard; its variables: datasource, node, gpu, namespace. */
export function gpuFleetDashboard(): DashboardSpec {
    const builder = stackDashboard(GPU_FLEET, [NODE, GPU, NAMESPACE].map(labelVariable));
    return toSpec(
        GPU_FLEET,
        [summary, utilisation, memory, thermalsPowerClocks, errors].reduce((b, section) => section(b), builder),
    );
}
