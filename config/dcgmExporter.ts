import { z } from "zod";
import { enabled, extraValues, resourcesSchema } from "./common";
import { DEFAULT_DCGM_COUNTERS } from "./dcgmCounters";
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
            .array(counterSchema)
            .min(1)
            .default([...DEFAULT_DCGM_COUNTERS])
            .describe("The DCGM fields exported (default: the exporter's own default list)."),
        resources: resourcesSchema({
            requests: { cpu: "50m", memory: "256Mi" },
            limits: { cpu: "500m", memory: "1Gi" },
        }),
        extraValues,
    })
    .describe("NVIDIA's DCGM exporter: GPU metrics, per GPU and per pod using it, from every GPU node.");

export type DcgmExporterConfig = z.infer<typeof dcgmExporterConfigSchema>;
