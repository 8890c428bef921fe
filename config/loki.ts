import { z } from "zod";
import { enabled, extraValues, resourcesSchema } from "./common";
import { duration, memoryQuantity } from "./formats";

export const lokiConfigSchema = z
    .strictObject({
        enabled,
        retention: duration
            .default("7d")
            .describe("How long log lines are kept; the compactor deletes older chunks."),
        storageSize: memoryQuantity
            .default("10Gi")
            .describe("Size of the PersistentVolumeClaim holding chunks, index and write-ahead log."),
        resources: resourcesSchema({
            requests: { cpu: "100m", memory: "256Mi" },
            limits: { cpu: "1", memory: "1Gi" },
        }),
        extraValues,
    })
    .describe("Loki, the log store, as one monolithic (single-binary) pod.");

export type LokiConfig = z.infer<typeof lokiConfigSchema>;
