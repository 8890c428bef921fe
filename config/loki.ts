import { z } from "zod";
import { enabled, extraValues, ResourceSizes, resourcesSchema } from "./common";
import { duration, memoryQuantity, parseQuantity } from "./formats";

export const LOKI_MODES = ["monolithic", "simple-scalable"] as const;
export type LokiMode = (typeof LOKI_MODES)[number];

/** The targets of simple-scalable mode, each its own workload. */
export const LOKI_TARGETS = ["write", "read", "backend"] as const;
export type LokiTarget = (typeof LOKI_TARGETS)[number];

/** Replicas of each target when `loki.simpleScalable.<target>.replicas` is unset. */
export const LOKI_DEFAULT_REPLICAS: Readonly<Record<LokiTarget, number>> = {
    // Three: each stream is written to three of them (replication factor 3), so one write pod can
    // be drained or lost while writes still reach a quorum of two.
    write: 3,
    // Two: a query still has somewhere to go while one pod rolls or its node drains.
    read: 2,
    backend: 2,
};

const target = (what: string, replicas: number, sizes: ResourceSizes) =>
    z
        .strictObject({
            replicas: z
                .int()
                .min(1)
                .max(100)
                .optional()
                .describe(`Pods of the ${what.replace(/ \(.*/, "")} (unset: ${replicas}). Only with mode simple-scalable.`),
            resources: resourcesSchema(sizes).describe(`CPU and memory requests and limits of each ${what.replace(/ \(.*/, "")} pod.`),
        })
        .prefault({})
        .describe(`The ${what}.`);

// Loki reads limits_config's sizes in binary megabytes (ingestion_rate_mb is MB of 2^20 bytes; the
// per-stream limits parse "3MB" with c2h5oh/datasize, also 2^20): its defaults, written in Mi.
const LIMIT_BYTES = (text: string) => parseQuantity(text) ?? 0;

export const lokiConfigSchema = z
    .strictObject({
        enabled,
        retention: duration.default("7d").describe("How long log lines are kept; the compactor deletes older chunks."),
        mode: z
            .enum(LOKI_MODES)
            .default("monolithic")
            .describe(
                "monolithic: one pod runs every Loki target (dev). simple-scalable: write, read and backend targets as separate, replicated workloads sharing object storage (the production profile's); needs objectStorage.provider.",
            ),
        storageSize: memoryQuantity
            .default("10Gi")
            .describe(
                "Size of each PersistentVolumeClaim: monolithic, the single pod's (write-ahead log; chunks and index too unless objectStorage.provider is set); simple-scalable, each write pod's (write-ahead log) and each backend pod's (compactor and ruler state).",
            ),
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
        }).describe("CPU and memory requests and limits of the monolithic pod."),
        simpleScalable: z
            .strictObject({
                write: target("write target (distributor and ingester: receives pushes, writes chunks)", LOKI_DEFAULT_REPLICAS.write, {
                    requests: { cpu: "100m", memory: "256Mi" },
                    limits: { cpu: "1", memory: "1Gi" },
                }),
                read: target("read target (query frontend and querier: answers Grafana)", LOKI_DEFAULT_REPLICAS.read, {
                    requests: { cpu: "100m", memory: "256Mi" },
                    limits: { cpu: "1", memory: "1Gi" },
                }),
                backend: target("backend target (compactor, index gateway, query scheduler, ruler)", LOKI_DEFAULT_REPLICAS.backend, {
                    requests: { cpu: "50m", memory: "128Mi" },
                    limits: { cpu: "500m", memory: "512Mi" },
                }),
            })
            .prefault({})
            .describe(
                "Replicas and container sizes of the targets of mode simple-scalable. With 3 or more write pods every stream is replicated to 3 of them (replication factor 3), with fewer it is written once.",
            ),
        limits: z
            .strictObject({
                ingestionRate: memoryQuantity
                    .default("4Mi")
                    .describe(
                        "Bytes of log lines per second the tenant may push, shared by every shipper (limits_config.ingestion_rate_mb); beyond it pushes are refused (429, reason rate_limited).",
                    ),
                ingestionBurst: memoryQuantity
                    .default("6Mi")
                    .describe(
                        "Bytes a distributor accepts at once above the rate (limits_config.ingestion_burst_size_mb); at least the largest push a shipper sends.",
                    ),
                perStreamRate: memoryQuantity
                    .default("3Mi")
                    .describe(
                        "Bytes per second one stream (one container's log) may push (limits_config.per_stream_rate_limit); beyond it lines are refused (reason per_stream_rate_limit).",
                    ),
                perStreamBurst: memoryQuantity
                    .default("15Mi")
                    .describe("Bytes one stream may push at once above its rate (limits_config.per_stream_rate_limit_burst)."),
                maxStreams: z
                    .int()
                    .min(1)
                    .default(5000)
                    .describe(
                        "Active streams (distinct label sets, about one per container) the tenant may have (limits_config.max_global_streams_per_user); beyond it new streams are refused (reason stream_limit).",
                    ),
            })
            .prefault({})
            .superRefine((limits, ctx) => {
                const below = (burst: "ingestionBurst" | "perStreamBurst", rate: "ingestionRate" | "perStreamRate") => {
                    if (LIMIT_BYTES(limits[burst]) < LIMIT_BYTES(limits[rate])) {
                        ctx.addIssue({
                            code: "custom",
                            path: [burst],
                            message: `${limits[burst]} is less than ${rate} ${limits[rate]}; the burst must be at least the rate, or pushes the rate allows are refused`,
                        });
                    }
                };
                below("ingestionBurst", "ingestionRate");
                below("perStreamBurst", "perStreamRate");
            })
            .describe(
                "Ingestion limits of the tenant (Loki's limits_config), in both modes: what a platform engineer raises first when shippers report 429s. Loki's defaults.",
            ),
        extraValues,
    })
    .superRefine((loki, ctx) => {
        // Monolithic is one pod: replicas of the scalable targets would silently do nothing.
        if (loki.mode !== "monolithic") return;
        for (const name of LOKI_TARGETS) {
            if (loki.simpleScalable[name].replicas !== undefined) {
                ctx.addIssue({
                    code: "custom",
                    path: ["simpleScalable", name, "replicas"],
                    message:
                        "is set, but loki.mode is monolithic, which runs Loki as one pod; remove it, or set loki.mode: simple-scalable (with objectStorage.provider) to run replicated write, read and backend pods",
                });
            }
        }
    })
    .describe("Loki, the log store: one monolithic pod, or write, read and backend targets on object storage (simple-scalable).");

export type LokiConfig = z.infer<typeof lokiConfigSchema>;
