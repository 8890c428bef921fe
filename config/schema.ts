import { z } from "zod";
import { alertsConfigSchema } from "./alerts";
import { DCGM_COUNTER_SET_NAMES, missingStackFields } from "./dcgmCounters";
import { dcgmExporterConfigSchema } from "./dcgmExporter";
import { dnsLabel, dnsSubdomain } from "./formats";
import { grafanaConfigSchema } from "./grafana";
import { logsConfigSchema } from "./logs";
import { lokiConfigSchema } from "./loki";
import { mirrorConfigSchema } from "./mirror";
import { objectStorageConfigSchema } from "./objectStorage";
import { otelCollectorConfigSchema } from "./otelCollector";
import { profileSchema } from "./profiles";
import { prometheusConfigSchema, prometheusRules } from "./prometheus";
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
        // --- DCGM exporter: the operator's exporter keeps its own list; ours must keep the stack's fields.
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
            // The default ("lean") stands for "not set": the operator's list is the one in use.
            if (dcgm.counters !== "lean") {
                ctx.addIssue({
                    code: "custom",
                    path: ["dcgmExporter", "counters"],
                    message: `${typeof dcgm.counters === "string" ? `is ${JSON.stringify(dcgm.counters)}` : "are set"} in mode gpu-operator, where the operator's exporter reads its own list (ClusterPolicy dcgmExporter.config); remove dcgmExporter.counters or use mode install`,
                });
            }
        }
        if (dcgm.enabled && dcgm.mode === "install" && config.prometheus.enabled && typeof dcgm.counters !== "string") {
            const missing = missingStackFields(dcgm.counters);
            if (missing.length > 0) {
                ctx.addIssue({
                    code: "custom",
                    path: ["dcgmExporter", "counters"],
                    message: `lack ${missing.join(", ")}, which the GPU dashboards and alert rules query; add them to the list or use a preset (${DCGM_COUNTER_SET_NAMES.join(", ")})`,
                });
            }
        }
        // --- end DCGM exporter
        // --- Tempo: distributed mode (Tempo 3) writes spans through Kafka and blocks to object storage.
        const tempo = config.tempo;
        if (tempo.enabled && tempo.mode === "distributed") {
            if (config.objectStorage.provider === undefined) {
                ctx.addIssue({
                    code: "custom",
                    path: ["tempo", "mode"],
                    message:
                        "is distributed, but that mode keeps trace blocks in object storage; set objectStorage.provider (s3, gcs, azure or minio) or use tempo.mode: monolithic",
                });
            }
            if (tempo.kafka.address === undefined) {
                ctx.addIssue({
                    code: "custom",
                    path: ["tempo", "kafka", "address"],
                    message:
                        "is missing; tempo.mode distributed (Tempo 3) writes spans through Kafka, which this stack does not install: set it to an existing Kafka's bootstrap host:port (e.g. a Strimzi cluster's <name>-kafka-bootstrap.<namespace>.svc:9092) or use tempo.mode: monolithic",
                });
            }
        }
        // --- end Tempo
        // --- Loki: simple-scalable mode shares chunks and index between its pods through object storage.
        if (config.loki.enabled && config.loki.mode === "simple-scalable" && config.objectStorage.provider === undefined) {
            ctx.addIssue({
                code: "custom",
                path: ["loki", "mode"],
                message:
                    "is simple-scalable, but that mode keeps chunks in object storage; set objectStorage.provider (s3, gcs, azure or minio) or use loki.mode: monolithic",
            });
        }
        // --- end Loki
        // --- Prometheus: retention within the volume, remote-write targets, sharding.
        prometheusRules(config.prometheus, (path, message) => ctx.addIssue({ code: "custom", path: ["prometheus", ...path], message }));
        // --- end Prometheus
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
