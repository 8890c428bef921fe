import YAML from "yaml";
import { parseQuantity } from "../../config/formats";
import { LokiConfig } from "../../config/loki";
import { HelmValues } from "../helm";
import { CREDENTIAL_KEYS, ObjectStore } from "../objectStorage";
import { ValuesInput } from "../subsystem";
import { DATA_DIR, LOKI_GRPC_PORT, LOKI_HTTP_PORT, lokiReplicationFactor, objectStoreType } from "./common";

/** What Loki's config file is made from: the values input, the release's namespace and the object store. */
export type LokiConfigInput = ValuesInput<LokiConfig> & { namespace: string };

/** A reference Loki expands from its environment: the chart passes -config.expand-env=true to every target (templates/_pod.tpl). */
const fromEnv = (name: string) => "${" + name + "}";

/** Bytes as Loki's limits_config writes sizes: MB of 2^20 bytes (c2h5oh/datasize), else bytes. */
function lokiBytes(quantity: string): string {
    const bytes = Math.round(parseQuantity(quantity) ?? 0);
    return bytes % 2 ** 20 === 0 ? `${bytes / 2 ** 20}MB` : `${bytes}B`;
}

/**
 * A bucket of the store as Loki's storage clients take it: S3 (and MinIO) with the keys expanded
 * from the credentials Secret's environment, or the pod's workload identity (AWS_ROLE_ARN and its
 * token) without them; GCS from the key file GOOGLE_APPLICATION_CREDENTIALS names, or the GKE
 * metadata server; Azure with the account key, or the federated token of Azure's webhook.
 */
function bucketClient(store: ObjectStore, bucket: string): HelmValues {
    const keys = store.credentialsSecret !== undefined;
    switch (store.provider) {
        case "s3":
        case "minio": {
            const s3 = store.s3!;
            return {
                s3: {
                    bucketnames: bucket,
                    ...(s3.endpoint ? { endpoint: s3.endpoint } : {}),
                    ...(s3.region ? { region: s3.region } : {}),
                    insecure: s3.insecure,
                    s3forcepathstyle: s3.forcePathStyle,
                    ...(keys
                        ? {
                              access_key_id: fromEnv(CREDENTIAL_KEYS.accessKeyId),
                              secret_access_key: fromEnv(CREDENTIAL_KEYS.secretAccessKey),
                          }
                        : {}),
                },
            };
        }
        case "gcs":
            return { gcs: { bucket_name: bucket } };
        case "azure": {
            const azure = store.azure!;
            return {
                azure: {
                    account_name: azure.accountName,
                    container_name: bucket,
                    endpoint_suffix: azure.endpointSuffix,
                    ...(keys ? { account_key: fromEnv(CREDENTIAL_KEYS.azureAccountKey) } : { use_federated_token: true }),
                },
            };
        }
    }
}

/**
 * Loki's config file: what the stack sets, the wiring the chart would compute (its Services, the
 * volume's paths, the runtime overrides file it mounts), and the choices of its values.yaml that
 * differ from Loki 3.7.6's defaults (docs/sources/shared/configuration.md); nothing Loki ignores.
 */
export function lokiConfig({ settings, releaseName, namespace }: LokiConfigInput, store?: ObjectStore): HelmValues {
    const scalable = settings.mode === "simple-scalable";
    const objectStore = objectStoreType(store);
    const { limits } = settings;
    // The release's Services, as the chart names them (templates/_helpers.tpl loki.resourceName).
    const service = (suffix: string) => `${releaseName}${suffix}.${namespace}.svc.cluster.local`;
    return {
        // The chart defaults to multi-tenant, which demands X-Scope-OrgID on every push and query:
        // on only when a tenant is configured, which the shipper and Grafana then send.
        auth_enabled: settings.tenant !== undefined,
        // The chart's server settings (values.yaml loki.server) where they differ from Loki's: long
        // queries, 100 MB gRPC messages, many streams per connection.
        server: {
            http_listen_port: LOKI_HTTP_PORT,
            grpc_listen_port: LOKI_GRPC_PORT,
            graceful_shutdown_timeout: "5s",
            grpc_server_max_concurrent_streams: 1000,
            grpc_server_max_recv_msg_size: 100 * 2 ** 20,
            grpc_server_max_send_msg_size: 100 * 2 ** 20,
            http_server_idle_timeout: "30s",
            http_server_read_timeout: "10m0s",
            http_server_write_timeout: "10m0s",
        },
        memberlist: {
            join_members: [service("-memberlist")],
            // The chart's (values.yaml loki.extraMemberlistConfig), where they differ from Loki's.
            abort_if_cluster_join_fails: true,
            rejoin_interval: "90s",
        },
        common: {
            path_prefix: DATA_DIR,
            replication_factor: lokiReplicationFactor(settings),
            // The single binary runs the compactor itself; simple-scalable runs it in the backend target.
            compactor_grpc_address: `${service(scalable ? "-backend" : "")}:${LOKI_GRPC_PORT}`,
            // A bucket of the object store here is the ruler's store as well, unless ruler.storage
            // names its own (pkg/loki/config_wrapper.go applyStorageConfig).
            ...(store ? { storage: bucketClient(store, store.buckets.lokiChunks) } : {}),
        },
        schema_config: {
            configs: [
                {
                    // Changing where chunks live (filesystem to a bucket) starts an empty store:
                    // older chunks stay on the old volume, unread.
                    from: "2024-01-01",
                    store: "tsdb",
                    object_store: objectStore,
                    schema: "v13",
                    index: { prefix: "index_", period: "24h" },
                },
            ],
        },
        storage_config: {
            // Chunks on the volume, given here rather than as common.storage.filesystem, which would
            // also make the ruler's store a local rules directory (applyStorageConfig).
            ...(store ? {} : { filesystem: { directory: `${DATA_DIR}/chunks` } }),
            tsdb_shipper: {
                active_index_directory: `${DATA_DIR}/tsdb-shipper-active`,
                cache_location: `${DATA_DIR}/tsdb-shipper-cache`,
                // Read pods ask the backend targets' index gateways for the index; the single binary
                // runs none and reads its own.
                ...(scalable ? { index_gateway_client: { server_address: `dns+${service("-backend-headless")}:${LOKI_GRPC_PORT}` } } : {}),
            },
            // The chart's hedged object-store requests; the filesystem client hedges nothing
            // (pkg/storage/factory.go: only the object store clients take cfg.Hedging).
            ...(store ? { hedging: { at: "250ms", max_per_second: 20, up_to: 3 } } : {}),
        },
        ingester: { wal: { enabled: true, dir: `${DATA_DIR}/wal`, flush_on_shutdown: true } },
        limits_config: {
            retention_period: settings.retention,
            ingestion_rate_mb: (parseQuantity(limits.ingestionRate) ?? 0) / 2 ** 20,
            ingestion_burst_size_mb: (parseQuantity(limits.ingestionBurst) ?? 0) / 2 ** 20,
            per_stream_rate_limit: lokiBytes(limits.perStreamRate),
            per_stream_rate_limit_burst: lokiBytes(limits.perStreamBurst),
            max_global_streams_per_user: limits.maxStreams,
            // The chart's (values.yaml loki.limits_config), where they differ from Loki's.
            query_timeout: "300s",
            split_queries_by_interval: "15m",
        },
        compactor: {
            working_directory: `${DATA_DIR}/compactor`,
            compaction_interval: "10m",
            retention_enabled: true,
            retention_delete_delay: "2h",
            delete_request_store: objectStore,
        },
        // The ruler evaluates the rules of its store: the object store's ruler bucket, which the
        // ruler API fills. On the volume there is no ruler at all: a local rules directory is
        // read-only to the API and nothing else puts rules there, and without a ruler store Loki
        // starts none (pkg/loki/modules.go initRulerStorage: "Ruler storage is not configured").
        ...(store
            ? {
                  ruler: {
                      storage: { type: objectStore, ...bucketClient(store, store.buckets.lokiRuler) },
                      wal: { dir: `${DATA_DIR}/ruler-wal` },
                  },
              }
            : {}),
        // The chart mounts its runtime ConfigMap here (templates/runtime-configmap.yaml).
        runtime_config: { file: "/etc/loki/runtime-config/runtime-config.yaml" },
        // Without memcached Loki caches in process (100 MB each by default); cap both inside each
        // pod's memory, and turn on result caching, which the chart only sets with memcached.
        chunk_store_config: { chunk_cache_config: { embedded_cache: { enabled: true, max_size_mb: 64 } } },
        query_range: {
            align_queries_with_step: true,
            cache_results: true,
            results_cache: { cache: { embedded_cache: { enabled: true, max_size_mb: 64 } } },
        },
        tracing: { enabled: false },
    };
}

/**
 * Loki's config file as the chart's `loki.config`. The chart renders its own from values, and a Helm
 * release cannot delete what the chart's defaults add to it (Pulumi drops null overrides,
 * pulumi/pulumi-kubernetes#3811): an index gateway address for boltdb-shipper with no boltdb
 * period, bloom gateway and planner addresses with blooms off, hedging on the filesystem. So the
 * stack writes the whole file, and it says only what is in force; the chart merges
 * `loki.structuredConfig` over it. It passes it through `tpl`, so it must hold no `{{`.
 */
export function lokiConfigFile(config: HelmValues): string {
    const text = YAML.stringify(config, { sortMapEntries: true });
    if (text.includes("{{")) throw new Error("Loki's config holds '{{', which the chart's tpl would evaluate");
    return text;
}
