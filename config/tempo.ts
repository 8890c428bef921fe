import { z } from "zod";
import { enabled, extraValues, ResourceSizes, resourcesSchema } from "./common";
import { duration, memoryQuantity, parseQuantity } from "./formats";

export const TEMPO_MODES = ["monolithic", "distributed"] as const;
export type TempoMode = (typeof TEMPO_MODES)[number];

// A Kafka bootstrap address as Tempo's ingest client dials it: host:port, no scheme.
const kafkaAddress = z.string().regex(/^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?:\d{1,5}$/, {
    error: (issue) =>
        `${JSON.stringify(issue.input)} is not a Kafka address; use host:port without a scheme, e.g. my-cluster-kafka-bootstrap.kafka.svc:9092`,
});

// Kafka topic names: letters, digits, '.', '_' and '-', at most 249 characters (Kafka's Topic.validate).
const kafkaTopic = z.string().regex(/^[A-Za-z0-9._-]{1,249}$/, {
    error: (issue) => `${JSON.stringify(issue.input)} is not a Kafka topic name; use letters, digits, '.', '_' and '-'`,
});

/**
 * Which Kafka partitions carry spans in Tempo 3.0.3, the rule the schema, its check of extraValues
 * and the README state: live-store pod n owns partition n and registers it in the partition ring
 * (modules/livestore/live_store.go, ingest.IngesterPartitionID: the pod name's ordinal);
 * distributors write only to the ring's active partitions (modules/distributor/distributor.go,
 * ring.NewActivePartitionBatchRing); block-builder pod n consumes partition n of those
 * (modules/blockbuilder/config.go AssignedPartitions, partitions_per_instance 1;
 * blockbuilder.go getAssignedPartitions). With `partitions` live-stores and block-builders, spans go
 * to partitions 0 to partitions-1 and each one reaches the bucket; the topic's further partitions
 * stay empty.
 */
export const KAFKA_PARTITION_RULE =
    "live-store n owns Kafka partition n, distributors write only to the live-stores' partitions, and block-builder n writes partition n to the bucket";

/**
 * The largest maxTraceSize: Tempo's gRPC messages are twice the largest trace (components/tempo/common.ts
 * grpcMessageBytes), and the clients that receive a whole trace (the querier's, from a live-store or
 * an ingester) take at most 100 MiB (dskit grpcclient's max_recv_msg_size default).
 */
export const MAX_TRACE_BYTES = 50_000_000;

/** A microservice of tempo-distributed whose replica count the chart fixes (one, or one per partition): its container's size. */
const fixedComponent = (what: string, sizes: ResourceSizes) =>
    z
        .strictObject({ resources: resourcesSchema(sizes) })
        .prefault({})
        .describe(`The ${what}.`);

/** A microservice of tempo-distributed that scales out: its replicas and its container's size. */
const scaledComponent = (what: string, sizes: ResourceSizes) =>
    z
        .strictObject({
            replicas: z
                .int()
                .min(1)
                .max(100)
                .default(1)
                .describe(`Replicas of the ${what.replace(/ \(.*/, "")}.`),
            resources: resourcesSchema(sizes),
        })
        .prefault({})
        .describe(`The ${what}.`);

export const tempoConfigSchema = z
    .strictObject({
        enabled,
        mode: z
            .enum(TEMPO_MODES)
            .default("monolithic")
            .describe(
                "monolithic: Tempo 2 (chart tempo) as one pod, blocks on its volume or in object storage. distributed: Tempo 3 microservices (chart tempo-distributed), spans written through an existing Kafka (tempo.kafka), blocks in object storage (objectStorage.provider).",
            ),
        retention: duration.default("7d").describe("How long traces are kept; the compactor (backend-worker) deletes older blocks."),
        storageSize: memoryQuantity
            .default("10Gi")
            .describe(
                "Monolithic mode: size of the PersistentVolumeClaim holding the write-ahead log, and the trace blocks unless objectStorage.provider is set.",
            ),
        resources: resourcesSchema({
            requests: { cpu: "100m", memory: "256Mi" },
            limits: { cpu: "1", memory: "1Gi" },
        }).describe("CPU and memory requests and limits of the Tempo container in monolithic mode (distributed mode: tempo.distributed)."),
        limits: z
            .strictObject({
                // Tempo's own defaults (modules/overrides): ~30,000 spans/s of ~500 bytes per
                // distributor, far above what one development node produces.
                ingestionRate: memoryQuantity
                    .default("15M")
                    .describe(
                        "Bytes of spans per second Tempo accepts per tenant, shared out among the distributors (overrides ingestion.rate_limit_bytes with the global strategy); beyond it spans are refused as RATE_LIMITED.",
                    ),
                ingestionBurst: memoryQuantity
                    .default("20M")
                    .describe(
                        "Bytes a distributor accepts at once above its share of the rate, for bursts (overrides ingestion.burst_size_bytes).",
                    ),
                maxLiveTraces: z
                    .int()
                    .min(1)
                    .default(10_000)
                    .describe(
                        "Traces in flight per tenant, per ingester (monolithic) or live-store (distributed) (overrides ingestion.max_traces_per_user); beyond it spans are refused as LIVE_TRACES_EXCEEDED. It bounds their memory.",
                    ),
                maxTraceSize: memoryQuantity
                    .default("5M")
                    .describe(
                        "Largest trace kept, in bytes (overrides global.max_bytes_per_trace), at most 50M; spans beyond it are dropped as TRACE_TOO_LARGE. It bounds the memory one runaway trace takes. Tempo's gRPC messages are sized at twice it (at least Tempo's own 16 MiB), so every trace kept can be loaded by ID.",
                    ),
            })
            .prefault({})
            .superRefine((limits, ctx) => {
                if ((parseQuantity(limits.maxTraceSize) ?? 0) > MAX_TRACE_BYTES) {
                    ctx.addIssue({
                        code: "custom",
                        path: ["maxTraceSize"],
                        message: `${limits.maxTraceSize} is above 50M; a trace loaded by ID crosses gRPC as one message, sized at twice the largest trace, and Tempo's gRPC clients receive at most 100 MiB`,
                    });
                }
                if ((parseQuantity(limits.ingestionBurst) ?? 0) < (parseQuantity(limits.ingestionRate) ?? 0)) {
                    ctx.addIssue({
                        code: "custom",
                        path: ["ingestionBurst"],
                        message: `${limits.ingestionBurst} is less than ingestionRate ${limits.ingestionRate}; the burst must be at least the rate, or pushes the rate allows are refused`,
                    });
                }
            })
            .describe("Ingestion limits of every tenant (Tempo's overrides), in both modes: what a platform engineer raises first."),
        kafka: z
            .strictObject({
                address: kafkaAddress
                    .optional()
                    .describe(
                        "Bootstrap address (host:port) of the Kafka that Tempo 3's distributors write spans to (e.g. a Strimzi cluster's <name>-kafka-bootstrap.<namespace>.svc:9092). Required in distributed mode; unused in monolithic mode.",
                    ),
                topic: kafkaTopic
                    .default("tempo-traces")
                    .describe(
                        "Topic of the spans. Create it before `pulumi up` with at least `partitions` partitions; Tempo writes to partitions 0 to partitions-1 only, so further ones stay empty until `partitions` is raised. Tempo's auto-creation would change the Kafka cluster's num.partitions for every topic, so it stays off.",
                    ),
                partitions: z
                    .int()
                    .min(1)
                    .max(64)
                    .default(1)
                    .describe(
                        `Kafka partitions Tempo uses, 0 to partitions-1: it runs this many live-stores and block-builders; ${KAFKA_PARTITION_RULE}. The topic needs at least this many; raise the topic's partition count first when raising this, and never lower it (distributors keep writing to a removed live-store's partition, which no block-builder reads any more).`,
                    ),
            })
            .prefault({})
            .describe("The existing Kafka of distributed mode (Tempo 3 writes spans through Kafka; this stack does not install one)."),
        distributed: z
            .strictObject({
                distributor: scaledComponent("distributor (receives OTLP, writes spans to Kafka)", {
                    requests: { cpu: "50m", memory: "128Mi" },
                    limits: { cpu: "500m", memory: "512Mi" },
                }),
                queryFrontend: scaledComponent("query-frontend (Grafana's endpoint; shards queries over the queriers)", {
                    requests: { cpu: "50m", memory: "64Mi" },
                    limits: { cpu: "500m", memory: "256Mi" },
                }),
                querier: scaledComponent("querier (searches live-stores and blocks in object storage)", {
                    requests: { cpu: "50m", memory: "128Mi" },
                    limits: { cpu: "1", memory: "1Gi" },
                }),
                metricsGenerator: scaledComponent("metrics-generator (span metrics and service graphs, remote-written to Prometheus)", {
                    requests: { cpu: "50m", memory: "128Mi" },
                    limits: { cpu: "500m", memory: "512Mi" },
                }),
                backendScheduler: fixedComponent("backend-scheduler (one replica; plans compaction and retention jobs)", {
                    requests: { cpu: "20m", memory: "64Mi" },
                    limits: { cpu: "200m", memory: "256Mi" },
                }),
                backendWorker: scaledComponent("backend-worker (compacts blocks and deletes expired ones)", {
                    requests: { cpu: "50m", memory: "128Mi" },
                    limits: { cpu: "500m", memory: "1Gi" },
                }),
                blockBuilder: fixedComponent("block-builder (one per Kafka partition; writes blocks to object storage)", {
                    requests: { cpu: "50m", memory: "256Mi" },
                    limits: { cpu: "1", memory: "1Gi" },
                }),
                liveStore: fixedComponent("live-store (one per Kafka partition; serves the most recent traces)", {
                    requests: { cpu: "50m", memory: "256Mi" },
                    limits: { cpu: "1", memory: "1Gi" },
                }),
            })
            .prefault({})
            .describe("Replicas and container sizes of the microservices of distributed mode."),
        extraValues,
    })
    .superRefine((tempo, ctx) => {
        // extraValues could give live-stores and block-builders other counts than the partitions:
        // a live-store without its block-builder takes spans that never reach the bucket.
        if (tempo.mode !== "distributed") return;
        for (const component of ["liveStore", "blockBuilder"] as const) {
            const replicas = (tempo.extraValues[component] as { replicas?: unknown } | undefined)?.replicas;
            if (replicas !== undefined && replicas !== tempo.kafka.partitions) {
                ctx.addIssue({
                    code: "custom",
                    path: ["extraValues", component, "replicas"],
                    message: `is ${JSON.stringify(replicas)}, but Tempo runs exactly tempo.kafka.partitions (${tempo.kafka.partitions}) live-stores and block-builders: ${KAFKA_PARTITION_RULE}; set tempo.kafka.partitions instead`,
                });
            }
        }
        const structured = (tempo.extraValues.tempo as { structuredConfig?: { block_builder?: Record<string, unknown> } } | undefined)
            ?.structuredConfig;
        for (const key of ["partitions_per_instance", "assigned_partitions"]) {
            if (structured?.block_builder?.[key] !== undefined) {
                ctx.addIssue({
                    code: "custom",
                    path: ["extraValues", "tempo", "structuredConfig", "block_builder", key],
                    message: `would change which partitions the block-builders read, but ${KAFKA_PARTITION_RULE}; remove it`,
                });
            }
        }
    })
    .describe("Tempo, the trace store: receives OTLP, answers Grafana's queries, turns spans into metrics.");

export type TempoConfig = z.infer<typeof tempoConfigSchema>;
export type TempoComponentName = keyof TempoConfig["distributed"];
