import { z } from "zod";
import { enabled, extraValues, resourcesSchema } from "./common";

export const otelCollectorConfigSchema = z
    .strictObject({
        enabled,
        replicas: z.int().min(1).max(100).default(1).describe("Collector replicas behind the OTLP Service."),
        resources: resourcesSchema({
            requests: { cpu: "50m", memory: "128Mi" },
            limits: { cpu: "500m", memory: "512Mi" },
        }),
        extraValues,
    })
    .describe("The OpenTelemetry Collector: receives OTLP from applications and exports traces to Tempo.");

export type OtelCollectorConfig = z.infer<typeof otelCollectorConfigSchema>;
