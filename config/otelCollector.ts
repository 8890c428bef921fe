import { z } from "zod";
import { enabled, extraValues, resourcesSchema } from "./common";
import { duration, memoryQuantity, serviceType } from "./formats";

export const otelCollectorConfigSchema = z
    .strictObject({
        enabled,
        replicas: z.int().min(1).max(100).default(1).describe("Collector replicas behind the OTLP Service."),
        serviceType,
        queue: z
            .strictObject({
                size: z
                    .int()
                    .min(1)
                    .max(1_000_000)
                    .default(5000)
                    .describe("Batches the exporter queues while Tempo is unreachable (kept on disk)."),
                retryWindow: duration.default("10m").describe("How long the exporter retries a batch before giving it up."),
                storageSize: memoryQuantity
                    .default("2Gi")
                    .describe("Size of the PersistentVolumeClaim the queue is kept on, across restarts."),
            })
            .prefault({})
            .describe("The exporter's sending queue, persisted so an outage or a restart loses no spans."),
        resources: resourcesSchema({
            requests: { cpu: "50m", memory: "128Mi" },
            limits: { cpu: "500m", memory: "512Mi" },
        }),
        extraValues,
    })
    .describe("The OpenTelemetry Collector: receives OTLP from applications and exports traces to Tempo.");

export type OtelCollectorConfig = z.infer<typeof otelCollectorConfigSchema>;
