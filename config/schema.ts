import { z } from "zod";
import { alertsConfigSchema } from "./alerts";
import { DEFAULT_DCGM_COUNTERS } from "./dcgmCounters";
import { dcgmExporterConfigSchema } from "./dcgmExporter";
import { dnsLabel, dnsSubdomain } from "./formats";
import { grafanaConfigSchema } from "./grafana";
import { logsConfigSchema } from "./logs";
import { lokiConfigSchema } from "./loki";
import { mirrorConfigSchema } from "./mirror";
import { objectStorageConfigSchema } from "./objectStorage";
import { otelCollectorConfigSchema } from "./otelCollector";
import { profileSchema } from "./profiles";
import { prometheusConfigSchema } from "./prometheus";
import { tempoConfigSchema } from "./tempo";

/** The whole stack config: `gpu-observability:<key>` in Pulumi.<stack>.yaml, or ObservabilityStack's args. */
export const stackConfigSchema = z
    .strictObject({
        profile: profileSchema,
        namespace: dnsLabel.default("observability").describe("Namespace the stack creates and installs every release into."),
        storageClass: dnsSubdomain
            .optional()
            .describe("StorageClass of every PersistentVolumeClaim (default: the cluster's default StorageClass)."),
        networkPolicies: z
            .strictObject({
                enabled: z
                    .boolean()
                    .default(true)
                    .describe("Deny ingress in the namespace by default and allow exactly the stack's own flows."),
            })
            .prefault({})
            .describe("NetworkPolicies of the stack's namespace."),
        objectStorage: objectStorageConfigSchema.prefault({}),
        mirror: mirrorConfigSchema,
        loki: lokiConfigSchema.prefault({}),
        tempo: tempoConfigSchema.prefault({}),
        prometheus: prometheusConfigSchema.prefault({}),
        dcgmExporter: dcgmExporterConfigSchema.prefault({}),
        logs: logsConfigSchema.prefault({}),
        otelCollector: otelCollectorConfigSchema.prefault({}),
        grafana: grafanaConfigSchema.prefault({}),
        alerts: alertsConfigSchema.prefault({}),
    })
    .superRefine((config, ctx) => {
        // A subsystem that feeds another cannot run without it: say so rather than install a pod that
        // retries into nothing.
        const needs = [
            { subsystem: "logs", on: "loki", what: "the log shipper pushes to Loki" },
            { subsystem: "otelCollector", on: "tempo", what: "the collector exports traces to Tempo" },
        ] as const;
        if (config.alerts.receivers.length > 0 && !config.prometheus.enabled) {
            ctx.addIssue({
                code: "custom",
                path: ["alerts", "receivers"],
                message:
                    "are set while prometheus.enabled is false, but Alertmanager comes with Prometheus; enable prometheus or remove the receivers",
            });
        }
        const dcgm = config.dcgmExporter;
        if (dcgm.enabled && dcgm.mode === "gpu-operator") {
            if (!config.prometheus.enabled) {
                ctx.addIssue({
                    code: "custom",
                    path: ["dcgmExporter", "mode"],
                    message:
                        "is gpu-operator while prometheus.enabled is false, but that mode only has Prometheus scrape the operator's exporter; enable prometheus or set dcgmExporter.enabled: false",
                });
            }
            if (JSON.stringify(dcgm.counters) !== JSON.stringify(DEFAULT_DCGM_COUNTERS)) {
                ctx.addIssue({
                    code: "custom",
                    path: ["dcgmExporter", "counters"],
                    message:
                        "are set in mode gpu-operator, where the operator's exporter reads its own list (ClusterPolicy dcgmExporter.config); remove them or use mode install",
                });
            }
        }
        for (const { subsystem, on, what } of needs) {
            if (config[subsystem].enabled && !config[on].enabled) {
                ctx.addIssue({
                    code: "custom",
                    path: [subsystem, "enabled"],
                    message: `is true while ${on}.enabled is false, but ${what}; enable ${on} or set ${subsystem}.enabled: false`,
                });
            }
        }
    });

/** The validated config, every default filled in. */
export type StackConfig = z.infer<typeof stackConfigSchema>;
/** What a stack file or a program may write: every key optional. */
export type StackConfigInput = z.input<typeof stackConfigSchema>;
