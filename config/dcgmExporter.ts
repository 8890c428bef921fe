import { z } from "zod";
import { enabled, extraValues, resourcesSchema } from "./common";
import { DCGM_COUNTER_SET_NAMES } from "./dcgmCounters";
import { dnsLabel, labelKey, labelValue } from "./formats";

const counterSchema = z.strictObject({
    field: z.string().regex(/^DCGM_FI_[A-Z0-9_]+$/, {
        error: (issue) => `${JSON.stringify(issue.input)} is not a DCGM field name; use a DCGM_FI_* name such as DCGM_FI_DEV_GPU_UTIL`,
    }),
    type: z.enum(["gauge", "counter", "label"]),
    help: z.string().min(1),
});

const tolerationSchema = z.strictObject({
    key: labelKey.optional(),
    operator: z.enum(["Exists", "Equal"]).default("Exists"),
    value: labelValue.optional(),
    effect: z.enum(["NoSchedule", "PreferNoSchedule", "NoExecute"]).optional(),
});

export const dcgmExporterConfigSchema = z
    .strictObject({
        enabled,
        mode: z
            .enum(["install", "gpu-operator"])
            .default("install")
            .describe(
                "install: this stack installs the exporter. gpu-operator: NVIDIA's GPU Operator already runs one; install none and have Prometheus scrape the operator's.",
            ),
        gpuOperatorNamespace: dnsLabel
            .default("gpu-operator")
            .describe("Namespace the GPU Operator runs its DCGM exporter in (mode gpu-operator)."),
        nodeSelector: z
            .record(labelKey, labelValue)
            .refine((selector) => Object.keys(selector).length > 0, {
                error: "is empty; the exporter must be restricted to GPU nodes by at least one label",
            })
            .default({ "nvidia.com/gpu.present": "true" })
            .describe("Labels of the GPU nodes the exporter runs on (NVIDIA GPU feature discovery sets the default)."),
        tolerations: z
            .array(tolerationSchema)
            .default([{ key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" }])
            .describe("Taints of GPU nodes the exporter tolerates."),
        counters: z
            .union([z.enum(DCGM_COUNTER_SET_NAMES), z.array(counterSchema).min(1)], {
                error: (issue) =>
                    `${JSON.stringify(issue.input)} is neither a preset nor a counter list; use ${DCGM_COUNTER_SET_NAMES.map((n) => JSON.stringify(n)).join(", ")} or a list of { field, type, help }`,
            })
            // Lean in dev too: dev runs what production runs, so a dashboard or alert needing a
            // field outside the list fails there first; default and full are one key away.
            .default("lean")
            .describe(
                "The DCGM fields exported, a preset or a list of { field, type, help }. lean: the fields the stack's dashboards and alerts query plus those that explain a GPU incident (throttling, PCIe replays, remapped memory rows, driver version). default: the exporter's own default-counters.csv. full: every field the exporter's dcp-metrics-included.csv names, those it ships commented out included. A list must keep the fields the dashboards and alerts query.",
            ),
        // The exporter embeds the DCGM host engine: a 4.x exporter settles at 400-500 MiB working
        // set on a long-running node, whatever its list (NVIDIA/dcgm-exporter#609,
        // pytorch/ci-infra#1011: mostly native memory, so the lean list trims scrapes, not this).
        // 384Mi reserves most of it and keeps a dev GPU node's DaemonSets within 300m / 640Mi:
        // node-exporter 20m/32Mi + log shipper up to 60m/96Mi (Alloy and its reloader) + this
        // 50m/384Mi = 130m/512Mi. Limit 1Gi: those reports' pods were OOM-killed at 512Mi.
        // A scrape every 15 s takes a few millicores.
        resources: resourcesSchema({
            requests: { cpu: "50m", memory: "384Mi" },
            limits: { cpu: "500m", memory: "1Gi" },
        }),
        extraValues,
    })
    .describe("NVIDIA's DCGM exporter: GPU metrics, per GPU and per pod using it, from every GPU node.");

export type DcgmExporterConfig = z.infer<typeof dcgmExporterConfigSchema>;
