import { z } from "zod";
import { enabled, extraValues, resourcesSchema } from "./common";
import { memoryQuantity } from "./formats";

export const grafanaConfigSchema = z
    .strictObject({
        enabled,
        adminUser: z
            .string()
            .regex(/^[A-Za-z0-9._@-]{1,64}$/, {
                error: "is not a valid user name; use 1 to 64 letters, digits, '.', '_', '@' or '-'",
            })
            .default("admin")
            .describe("Grafana's admin login; the password is generated and kept as a Pulumi secret."),
        storageSize: memoryQuantity
            .default("1Gi")
            .describe("Size of the PersistentVolumeClaim holding Grafana's SQLite database."),
        resources: resourcesSchema({
            requests: { cpu: "50m", memory: "128Mi" },
            limits: { cpu: "500m", memory: "512Mi" },
        }),
        extraValues,
    })
    .describe("Grafana, the single pane of glass, with every other subsystem as a datasource.");

export type GrafanaConfig = z.infer<typeof grafanaConfigSchema>;
