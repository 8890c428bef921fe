import { z } from "zod";
import { enabled, extraValues, resourcesSchema } from "./common";

export const logsConfigSchema = z
    .strictObject({
        enabled,
        shipper: z
            .enum(["promtail", "alloy"])
            .default("promtail")
            .describe(
                "The DaemonSet that reads every pod's logs on every node and pushes them to Loki: promtail, or alloy (Grafana Alloy, Promtail's successor; same logs, same labels).",
            ),
        resources: resourcesSchema({
            requests: { cpu: "50m", memory: "64Mi" },
            limits: { cpu: "200m", memory: "256Mi" },
        }),
        extraValues,
    })
    .describe("The log shipper: one pod per node, GPU nodes included.");

export type LogsConfig = z.infer<typeof logsConfigSchema>;
