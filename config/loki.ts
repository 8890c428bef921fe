import { z } from "zod";
import { enabled, extraValues, resourcesSchema } from "./common";
import { duration, memoryQuantity } from "./formats";

export const lokiConfigSchema = z
    .strictObject({
        enabled,
        retention: duration.default("7d").describe("How long log lines are kept; the compactor deletes older chunks."),
        storageSize: memoryQuantity
            .default("10Gi")
            .describe("Size of the PersistentVolumeClaim holding chunks, index and write-ahead log."),
        tenant: z
            .string()
            .regex(/^[A-Za-z0-9!._*'()-]{1,150}$/, {
                error: (issue) => `${JSON.stringify(issue.input)} is not a valid tenant id; use up to 150 letters, digits and !-_.*'()`,
            })
            .optional()
            .describe("Turns Loki's multi-tenancy on: the log shipper pushes and Grafana queries as this tenant (X-Scope-OrgID)."),
        resources: resourcesSchema({
            requests: { cpu: "100m", memory: "256Mi" },
            limits: { cpu: "1", memory: "1Gi" },
        }),
        extraValues,
    })
    .describe("Loki, the log store, as one monolithic (single-binary) pod.");

export type LokiConfig = z.infer<typeof lokiConfigSchema>;
