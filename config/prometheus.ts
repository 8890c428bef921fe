import { z } from "zod";
import { enabled, extraValues, resourcesSchema } from "./common";
import { duration, memoryQuantity } from "./formats";

export const prometheusConfigSchema = z
    .strictObject({
        enabled,
        retention: duration.default("15d").describe("How long Prometheus keeps samples."),
        storageSize: memoryQuantity
            .default("20Gi")
            .describe(
                "Size of Prometheus' PersistentVolumeClaim; Prometheus also stops at 90% of it (retentionSize) so the volume never fills.",
            ),
        scrapeInterval: duration.default("30s").describe("How often every target is scraped."),
        alertmanagerStorageSize: memoryQuantity
            .default("1Gi")
            .describe("Size of Alertmanager's PersistentVolumeClaim (silences and notification log)."),
        resources: resourcesSchema({
            requests: { cpu: "200m", memory: "512Mi" },
            limits: { cpu: "1", memory: "2Gi" },
        }),
        extraValues,
    })
    .describe("kube-prometheus-stack: Prometheus, Alertmanager, the Prometheus operator, node-exporter and kube-state-metrics.");

export type PrometheusConfig = z.infer<typeof prometheusConfigSchema>;
