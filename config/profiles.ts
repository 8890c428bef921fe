import { z } from "zod";
import { isPlainObject, mergeReplacingLists } from "./merge";
import type { StackConfigInput } from "./schema";

export const PROFILES = ["dev", "production"] as const;
export type Profile = (typeof PROFILES)[number];

export const profileSchema = z
    .enum(PROFILES)
    .default("dev")
    .describe(
        "dev: one replica each on local volumes, small requests (fits beside the application on one 4-CPU, 16 GiB node). production: Loki simple-scalable and tempo-distributed on object storage, replicated Prometheus, Alertmanager and Grafana. A profile only sets defaults: any key set in the config wins.",
    );

/**
 * What each profile changes from the schema's own defaults, written as config input. The schema's
 * defaults are the dev profile; production sizes and replicates for a GPU fleet.
 */
export const PROFILE_DEFAULTS: Readonly<Record<Profile, StackConfigInput>> = {
    dev: {},
    production: {
        grafana: {
            // Two, on the external database grafana.database names (required with more than one):
            // one serves while the other restarts, upgrades or its node drains.
            replicas: 2,
            // Grafana's backend decodes every Prometheus answer it proxies: a fleet panel over
            // hundreds of GPUs is tens of MB of JSON, and Grafana 12's search index and alert state
            // sit in memory beside it. The chart sets GOMEMLIMIT to the limit.
            resources: { requests: { cpu: "250m", memory: "512Mi" }, limits: { cpu: "1", memory: "1Gi" } },
            // k8s-sidecar (Python) keeps a watch and each dashboard it writes; teams add their own
            // dashboard ConfigMaps beside the stack's in production.
            sidecarResources: { requests: { cpu: "20m", memory: "64Mi" }, limits: { cpu: "200m", memory: "256Mi" } },
        },
        dcgmExporter: {
            // The fleet list: about 15 series per GPU instead of the exporter default's 25. The same as
            // the dev default, written here so that a change of the dev default never widens a fleet.
            counters: "lean",
            // 8-GPU nodes: a 4.x exporter holds 400-510 MiB there and was OOM-killed under a 512Mi
            // limit (pytorch/ci-infra#1011); request what it uses, 1Gi for scrape peaks. Go 1.26 sizes
            // GOMAXPROCS to the CPU limit, which bounds those peaks.
            resources: { requests: { cpu: "100m", memory: "512Mi" }, limits: { cpu: "1", memory: "1Gi" } },
        },
        // Sized for 100 GPU nodes of 8 GPUs: per node about 130 DCGM series (16 lean fields per GPU;
        // 320 if a fleet asks for the full list), 2,000 node-exporter (per-CPU series on 100+
        // cores), 4,000 kubelet/cAdvisor (about 30 pods) and 1,000 kube-state-metrics series: about
        // 0.75M, 1M active series with the API server, the stack and room for the full list.
        prometheus: {
            // Two copies of every series: one scrapes on while the other restarts or its node drains.
            replicas: 2,
            // Three, as kube-prometheus runs them: one per zone, and a drain plus a failure still leave one.
            alertmanagerReplicas: 3,
            // 1M series at 30s, about 1.3 bytes a sample: 3.7 GB a day, 15 days in 90% of 100Gi.
            storageSize: "100Gi",
            // About 4 KiB per active series in the head (4 GiB), doubled for queries, rules and WAL replay.
            resources: { requests: { cpu: "1", memory: "8Gi" }, limits: { cpu: "4", memory: "16Gi" } },
            // Active alerts and silences in memory: thousands during a fleet-wide incident.
            alertmanagerResources: { requests: { cpu: "50m", memory: "128Mi" }, limits: { cpu: "200m", memory: "256Mi" } },
            // Watches Secrets, ConfigMaps and monitors cluster-wide and rebuilds the config on each change.
            operatorResources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "500m", memory: "512Mi" } },
            // Holds every pod, node and object of the cluster (about 3,000 pods) and serves 100k series a scrape.
            kubeStateMetricsResources: { requests: { cpu: "100m", memory: "256Mi" }, limits: { cpu: "500m", memory: "1Gi" } },
            // On every node: per-CPU and per-device series of large GPU nodes, still a small request.
            nodeExporterResources: { requests: { cpu: "25m", memory: "48Mi" }, limits: { cpu: "250m", memory: "128Mi" } },
        },
        loki: {
            // Write, read and backend scale and drain apart, on object storage (needs
            // objectStorage.provider). Replicas: LOKI_DEFAULT_REPLICAS (3 write, 2 read, 2 backend),
            // not set here, so that production with loki.mode: monolithic stays valid.
            mode: "simple-scalable",
            // Chunks live in the bucket, where a month costs little; incidents are dug into weeks later.
            retention: "30d",
            // Write-ahead log of each write pod: up to 2 h of its streams before they are flushed.
            storageSize: "20Gi",
            simpleScalable: {
                // Ingesters hold every stream's open chunks (3 copies across the write pods) until flush.
                write: { resources: { requests: { cpu: "500m", memory: "2Gi" }, limits: { cpu: "2", memory: "4Gi" } } },
                // Queriers decompress chunks of a fleet's logs in memory; a month-wide query is the peak.
                read: { resources: { requests: { cpu: "500m", memory: "1Gi" }, limits: { cpu: "2", memory: "4Gi" } } },
                // Compaction of a day's index and retention sweeps; the ruler evaluates in bursts.
                backend: { resources: { requests: { cpu: "200m", memory: "512Mi" }, limits: { cpu: "1", memory: "2Gi" } } },
            },
            limits: {
                // The whole fleet pushes as one tenant: a crash-looping job on many GPU nodes bursts far past 4 MiB/s.
                ingestionRate: "16Mi",
                ingestionBurst: "32Mi",
                // A chatty training process logs progress per step; 3 MiB/s per container is tight for it.
                perStreamRate: "5Mi",
                perStreamBurst: "20Mi",
                // About one stream per container: hundreds of nodes with tens of pods each pass 5,000.
                maxStreams: 25000,
            },
        },
        tempo: {
            // Tempo 3 microservices: every component scales and drains on its own. Needs
            // objectStorage.provider and tempo.kafka.address (no default can name a Kafka).
            mode: "distributed",
            // One block-builder and one live-store per partition: one per zone of a 3-zone cluster.
            kafka: { partitions: 3 },
            // Refused above ~8 MB/s (~16,000 spans/s) for the whole cluster: the three live-stores
            // (2Gi limits) carry ~5 MB/s by Tempo's sizing guide, with room for bursts, rather than
            // be OOM-killed before anything is refused.
            limits: { ingestionRate: "8M", ingestionBurst: "12M" },
            distributed: {
                // One per zone: OTLP keeps flowing while a node drains; decoding OTLP is CPU-bound.
                distributor: {
                    replicas: 3,
                    resources: { requests: { cpu: "250m", memory: "512Mi" }, limits: { cpu: "1", memory: "1Gi" } },
                },
                // Two, so Grafana keeps querying through a drain; it only queues and shards queries.
                queryFrontend: {
                    replicas: 2,
                    resources: { requests: { cpu: "100m", memory: "256Mi" }, limits: { cpu: "1", memory: "1Gi" } },
                },
                // Two; reading Parquet blocks from the bucket is what makes a search memory-hungry.
                querier: { replicas: 2, resources: { requests: { cpu: "250m", memory: "1Gi" }, limits: { cpu: "2", memory: "2Gi" } } },
                // Two; active span-metric series and service-graph edges live in memory.
                metricsGenerator: {
                    replicas: 2,
                    resources: { requests: { cpu: "250m", memory: "1Gi" }, limits: { cpu: "1", memory: "2Gi" } },
                },
                // The chart runs exactly one; it only plans jobs.
                backendScheduler: { resources: { requests: { cpu: "50m", memory: "128Mi" }, limits: { cpu: "500m", memory: "512Mi" } } },
                // Two, so compaction and retention go on through a drain; compaction rewrites whole blocks.
                backendWorker: {
                    replicas: 2,
                    resources: { requests: { cpu: "250m", memory: "512Mi" }, limits: { cpu: "1", memory: "2Gi" } },
                },
                // Each cuts its partition's blocks in memory before flushing them to the bucket.
                blockBuilder: { resources: { requests: { cpu: "250m", memory: "1Gi" }, limits: { cpu: "1", memory: "2Gi" } } },
                // Each holds its partition's most recent traces (about 30 minutes) in memory.
                liveStore: { resources: { requests: { cpu: "250m", memory: "1Gi" }, limits: { cpu: "1", memory: "2Gi" } } },
            },
        },
        logs: {
            // Grafana's sizing for a log-shipping DaemonSet: about 1 CPU and 120 MiB per MiB/s of
            // logs. A GPU node's training and inference pods at 100-200 KiB/s need about 100m and
            // 128Mi (with the pod list and read positions); the limits let one burst to ~1 MiB/s.
            resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "1", memory: "512Mi" } },
        },
        otelCollector: {
            // Two behind the OTLP Service: one takes the spans while the other restarts or its node drains.
            replicas: 2,
            // Batches of up to 8,192 spans and k8s_attributes' cache of every pod in the cluster sit
            // in memory; memory_limiter refuses spans at 80% of the limit rather than be OOM-killed.
            resources: { requests: { cpu: "200m", memory: "512Mi" }, limits: { cpu: "1", memory: "1Gi" } },
            queue: {
                // A Tempo upgrade or outage of up to half an hour is retried from disk, not dropped:
                // 30 minutes of 5 MiB/s of spans is 9 GiB, 10Gi each even if one replica takes them all.
                retryWindow: "30m",
                storageSize: "10Gi",
                // Counted in batches: at ~5,000 spans/s a replica cuts ~5 batches a second (the batch
                // processor's 200ms timeout), so 12,000 last 40 minutes, past the retry window, in
                // about 6 GiB of ~500 KiB batches.
                size: 12000,
            },
        },
    },
};

/**
 * The config with its profile's defaults laid under it: any key the config sets wins, lists
 * included (a list replaces the profile's whole). Input that is not an object, or names no valid
 * profile, is returned as it is for the schema to report.
 */
export function withProfileDefaults(input: unknown): unknown {
    const profile = profileOf(input);
    if (!isPlainObject(input) || profile === undefined) return input;
    return mergeReplacingLists(PROFILE_DEFAULTS[profile] as Record<string, unknown>, input);
}

/** The profile a config names, when it names a valid one (the default, dev, when it names none). */
export function profileOf(input: unknown): Profile | undefined {
    const profile = profileSchema.safeParse(isPlainObject(input) ? input.profile : undefined);
    return profile.success ? profile.data : undefined;
}

const valueAt = (tree: unknown, path: readonly PropertyKey[]): unknown =>
    path.reduce<unknown>((node, key) => (isPlainObject(node) ? node[String(key)] : undefined), tree);

/** Whether the profile, not the input, supplied the value at a config key: an error about it says so. */
export function suppliedByProfile(profile: Profile, input: unknown, path: readonly PropertyKey[]): boolean {
    return valueAt(input, path) === undefined && valueAt(PROFILE_DEFAULTS[profile], path) !== undefined;
}
