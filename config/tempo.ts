import { z } from "zod";
import { enabled, extraValues, resourcesSchema } from "./common";
import { duration, memoryQuantity } from "./formats";

export const tempoConfigSchema = z
    .strictObject({
        enabled,
        retention: duration.default("7d").describe("How long traces are kept; the compactor deletes older blocks."),
        storageSize: memoryQuantity
            .default("10Gi")
            .describe("Size of the PersistentVolumeClaim holding trace blocks and the write-ahead log."),
        resources: resourcesSchema({
            requests: { cpu: "100m", memory: "256Mi" },
            limits: { cpu: "1", memory: "1Gi" },
        }),
        extraValues,
    })
    .describe("Tempo, the trace store, as one monolithic pod receiving OTLP.");

export type TempoConfig = z.infer<typeof tempoConfigSchema>;
