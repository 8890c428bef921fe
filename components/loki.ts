import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { CHARTS } from "../config/charts";
import { LOKI_DEFAULT_REPLICAS, LOKI_TARGETS, LokiConfig, LokiMode, LokiTarget } from "../config/loki";
import { parseQuantity } from "../config/formats";
import { AZURE_WORKLOAD_IDENTITY_LABEL, CREDENTIAL_KEYS, gcsKeyFile, MOUNT_API_TOKEN, ObjectStorage, ObjectStore } from "./objectStorage";
import { HelmValues, releaseServiceUrl } from "./helm";
import { disruptionBudget, spreadAffinity, topologySpread } from "./placement";
import { RESTRICTED_CONTAINER, restrictedPod } from "./podSecurity";
import { DEFAULT_RELEASE_NAMES } from "./releaseNames";
import { chartPods, componentType, installSubsystem, PodLabels, SubsystemArgs, ValuesInput } from "./subsystem";

export interface LokiArgs extends SubsystemArgs<LokiConfig> {
    /** The object store chunks, index and rules live in; unset: the monolithic pod's own volume. */
    objectStorage?: Pick<ObjectStorage, "store" | "ready">;
}

export const LOKI_HTTP_PORT = 3100;
export const LOKI_GRPC_PORT = 9095;
export const LOKI_MEMBERLIST_PORT = 7946;
export const LOKI_PUSH_PATH = "/loki/api/v1/push";
// Every Loki pod's volume (the chart mounts it at /var/loki in every target): write-ahead log,
// TSDB index being built and cached, compactor state, and chunks and rules on the filesystem.
const DATA_DIR = "/var/loki";

/** Labels of every Loki pod, whatever its target (the chart's selector labels). */
export const lokiPods = (releaseName: string) => chartPods(CHARTS.loki, releaseName);

/** Labels of one target's pods, as its Service selects them (templates/_service.tpl: the selector labels and the component). */
export const lokiTargetPods = (releaseName: string, target: LokiTarget | "single-binary"): PodLabels => ({
    ...lokiPods(releaseName),
    "app.kubernetes.io/component": target,
});

/**
 * The Service behind each API, `<release><suffix>`: the single binary's own (templates/monolithic/service.yaml),
 * or the target's that serves it (templates/write/service.yaml, read/service.yaml). No gateway: it
 * would only add an nginx hop to size and mirror.
 */
export const LOKI_SERVICE_SUFFIXES: Readonly<Record<LokiMode, { push: string; query: string }>> = {
    monolithic: { push: "", query: "" },
    "simple-scalable": { push: "-write", query: "-read" },
};

/** Names of Loki's containers in each mode: templates/_pod.tpl names it after its target, "single-binary" as "loki". */
export const LOKI_CONTAINERS: Readonly<Record<LokiMode, readonly string[]>> = {
    monolithic: ["loki"],
    "simple-scalable": LOKI_TARGETS,
};

/** Pods of each target: all zero in monolithic mode, which runs the single binary alone. */
export function lokiReplicas(settings: LokiConfig): Record<LokiTarget, number> {
    return Object.fromEntries(
        LOKI_TARGETS.map((target) => [
            target,
            settings.mode === "monolithic" ? 0 : (settings.simpleScalable[target].replicas ?? LOKI_DEFAULT_REPLICAS[target]),
        ]),
    ) as Record<LokiTarget, number>;
}

/**
 * How many write pods each stream goes to. 3 from 3 write pods on: writes need a quorum of 2, so a
 * pod can be drained or lost without losing or refusing acknowledged lines. Below 3 it is 1, since
 * with 2 copies the quorum is both, and either pod down would refuse writes.
 */
export const lokiReplicationFactor = (settings: LokiConfig): number => (lokiReplicas(settings).write >= 3 ? 3 : 1);

/** A reference Loki expands from its environment: the chart passes -config.expand-env=true to every target (templates/_pod.tpl). */
const fromEnv = (name: string) => "${" + name + "}";

/** Loki's name of the store in schema_config and the compactor: MinIO speaks the S3 API. */
const objectStoreType = (store?: ObjectStore) => (store === undefined ? "filesystem" : store.provider === "minio" ? "s3" : store.provider);

/** `loki.storage`: the chart renders common.storage and the ruler's storage from it (templates/_helpers.tpl loki.commonStorageConfig, loki.rulerStorageConfig). */
function storageValues(store: ObjectStore | undefined): HelmValues {
    if (store === undefined) {
        return { type: "filesystem", filesystem: { chunks_directory: `${DATA_DIR}/chunks`, rules_directory: `${DATA_DIR}/rules` } };
    }
    const bucketNames = { chunks: store.buckets.lokiChunks, ruler: store.buckets.lokiRuler };
    const keys = store.credentialsSecret !== undefined;
    switch (store.provider) {
        case "s3":
        case "minio": {
            const s3 = store.s3!;
            return {
                type: "s3",
                bucketNames,
                s3: {
                    ...(s3.endpoint ? { endpoint: s3.endpoint } : {}),
                    ...(s3.region ? { region: s3.region } : {}),
                    insecure: s3.insecure,
                    s3ForcePathStyle: s3.forcePathStyle,
                    // Without keys the S3 client takes the pod's workload identity (AWS_ROLE_ARN and its token).
                    ...(keys
                        ? {
                              accessKeyId: fromEnv(CREDENTIAL_KEYS.accessKeyId),
                              secretAccessKey: fromEnv(CREDENTIAL_KEYS.secretAccessKey),
                          }
                        : {}),
                },
            };
        }
        case "gcs":
            // The client reads the key file GOOGLE_APPLICATION_CREDENTIALS names, or the GKE metadata server.
            return { type: "gcs", bucketNames };
        case "azure": {
            const azure = store.azure!;
            return {
                type: "azure",
                bucketNames,
                azure: {
                    accountName: azure.accountName,
                    endpointSuffix: azure.endpointSuffix,
                    // Without a key: the federated token Azure's workload identity webhook mounts.
                    ...(keys ? { accountKey: fromEnv(CREDENTIAL_KEYS.azureAccountKey) } : { useFederatedToken: true }),
                },
            };
        }
    }
}

/** Whether the pods reach the store as a cloud workload identity (annotations on their service account). */
const workloadIdentity = (store?: ObjectStore) => store !== undefined && Object.keys(store.serviceAccountAnnotations).length > 0;

/** How every Loki pod gets the store's credentials: from their Secret, as environment or a key file, never in values. */
function credentialValues(provider: ObjectStore["provider"], secret: string): HelmValues {
    const fromSecret = (key: string) => ({ name: key, valueFrom: { secretKeyRef: { name: secret, key } } });
    switch (provider) {
        case "s3":
        case "minio":
            return { extraEnv: [fromSecret(CREDENTIAL_KEYS.accessKeyId), fromSecret(CREDENTIAL_KEYS.secretAccessKey)] };
        case "azure":
            return { extraEnv: [fromSecret(CREDENTIAL_KEYS.azureAccountKey)] };
        case "gcs": {
            const keyFile = gcsKeyFile(secret);
            return { extraEnv: [keyFile.env], extraVolumes: [keyFile.volume], extraVolumeMounts: [keyFile.volumeMount] };
        }
    }
}

/**
 * `defaults` of every Loki pod, single binary and targets alike (templates/_pod.tpl concatenates
 * them with each target's own): the store's credentials, and Azure workload identity's label.
 */
function podDefaults(store: ObjectStore | undefined): HelmValues {
    return {
        // Loki never calls the Kubernetes API, and workload identity needs no such token (MOUNT_API_TOKEN).
        automountServiceAccountToken: MOUNT_API_TOKEN,
        ...(workloadIdentity(store) && store?.provider === "azure" ? { podLabels: AZURE_WORKLOAD_IDENTITY_LABEL } : {}),
        ...(store?.credentialsSecret ? credentialValues(store.provider, store.credentialsSecret) : {}),
    };
}

/** A simple-scalable target: its pods, their size, spread and disruption budget, and its volume. */
function targetValues(target: LokiTarget, replicas: number, { settings, storageClass, releaseName }: ValuesInput<LokiConfig>): HelmValues {
    const pods = lokiTargetPods(releaseName, target);
    const budget = disruptionBudget(replicas);
    const volume = { size: settings.storageSize, storageClass: storageClass ?? "" };
    return {
        replicas,
        resources: settings.simpleScalable[target].resources,
        // The chart requires one pod per node (Pending on a small cluster); prefer it instead. The
        // empty list clears the chart's required term: Pulumi drops null overrides (pulumi/pulumi-kubernetes#3811).
        affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [], ...spreadAffinity(pods).podAntiAffinity } },
        topologySpreadConstraints: topologySpread(pods),
        podDisruptionBudget: { enabled: budget !== undefined, ...budget },
        // Write: the write-ahead log, replayed after a restart. Backend: compactor and ruler state.
        // Read keeps only caches, on the chart's emptyDir.
        ...(target === "write" ? { persistence: { volumeClaimsEnabled: true, ...volume } } : {}),
        // The backend's own default mounts the token whatever `defaults` say (values.yaml backend.automountServiceAccountToken).
        ...(target === "backend" ? { persistence: { enabled: true, ...volume }, automountServiceAccountToken: MOUNT_API_TOKEN } : {}),
    };
}

/** Bytes as Loki's limits_config writes sizes: MB of 2^20 bytes (c2h5oh/datasize), else bytes. */
function lokiBytes(quantity: string): string {
    const bytes = Math.round(parseQuantity(quantity) ?? 0);
    return bytes % 2 ** 20 === 0 ? `${bytes / 2 ** 20}MB` : `${bytes}B`;
}

/**
 * Helm values of the Loki chart: monolithic (one pod) or simple-scalable (write, read and backend
 * targets), with chunks, index and rules on the pod's volume or, given a store, in its buckets.
 */
export function lokiValues(input: ValuesInput<LokiConfig>, store?: ObjectStore): HelmValues {
    const { settings, storageClass, serviceMonitors, releaseName } = input;
    const scalable = settings.mode === "simple-scalable";
    if (scalable && store === undefined) {
        throw new Error("loki.mode simple-scalable keeps chunks in object storage: pass the Loki component an objectStorage");
    }
    const replicas = lokiReplicas(settings);
    const objectStore = objectStoreType(store);
    const { limits } = settings;
    return {
        fullnameOverride: releaseName,
        deploymentMode: scalable ? "SimpleScalable" : "Monolithic",
        loki: {
            // The chart defaults to multi-tenant, which demands X-Scope-OrgID on every push and query:
            // on only when a tenant is configured, which the shipper and Grafana then send.
            auth_enabled: settings.tenant !== undefined,
            podSecurityContext: restrictedPod(10001),
            containerSecurityContext: RESTRICTED_CONTAINER,
            commonConfig: { replication_factor: lokiReplicationFactor(settings) },
            storage: storageValues(store),
            schemaConfig: {
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
                tsdb_shipper: {
                    active_index_directory: `${DATA_DIR}/tsdb-shipper-active`,
                    cache_location: `${DATA_DIR}/tsdb-shipper-cache`,
                },
            },
            ingester: { wal: { enabled: true, dir: `${DATA_DIR}/wal`, flush_on_shutdown: true } },
            limits_config: {
                retention_period: settings.retention,
                ingestion_rate_mb: (parseQuantity(limits.ingestionRate) ?? 0) / 2 ** 20,
                ingestion_burst_size_mb: (parseQuantity(limits.ingestionBurst) ?? 0) / 2 ** 20,
                per_stream_rate_limit: lokiBytes(limits.perStreamRate),
                per_stream_rate_limit_burst: lokiBytes(limits.perStreamBurst),
                max_global_streams_per_user: limits.maxStreams,
            },
            compactor: {
                working_directory: `${DATA_DIR}/compactor`,
                compaction_interval: "10m",
                retention_enabled: true,
                retention_delete_delay: "2h",
                delete_request_store: objectStore,
            },
            // Without memcached Loki caches in process (100 MB each by default); cap both inside each
            // pod's memory, and turn on result caching, which the chart only sets with memcached.
            structuredConfig: {
                chunk_store_config: { chunk_cache_config: { embedded_cache: { enabled: true, max_size_mb: 64 } } },
                query_range: {
                    cache_results: true,
                    results_cache: { cache: { embedded_cache: { enabled: true, max_size_mb: 64 } } },
                },
            },
        },
        singleBinary: scalable
            ? { replicas: 0 }
            : {
                  replicas: 1,
                  resources: settings.resources,
                  persistence: { enabled: true, size: settings.storageSize, storageClass: storageClass ?? "" },
              },
        // The chart validates that only one mode's targets have replicas (their defaults are 3).
        write: scalable ? targetValues("write", replicas.write, input) : { replicas: 0 },
        read: scalable ? targetValues("read", replicas.read, input) : { replicas: 0 },
        backend: scalable ? targetValues("backend", replicas.backend, input) : { replicas: 0 },
        ...Object.fromEntries(
            ["ingester", "distributor", "querier", "queryFrontend", "queryScheduler", "indexGateway", "compactor", "ruler"].map(
                (target) => [target, { replicas: 0 }],
            ),
        ),
        defaults: podDefaults(store),
        serviceAccount: {
            automountServiceAccountToken: MOUNT_API_TOKEN,
            // Workload identity: the cloud role the pods act as (every target shares this account).
            ...(workloadIdentity(store) ? { annotations: store!.serviceAccountAnnotations } : {}),
        },
        // A lone pod resolves its own gossip address only if it is published before it is ready (grafana/loki#7907).
        memberlist: { service: { publishNotReadyAddresses: true } },
        // The Services of the single binary, or of the write and read targets, serve push and query
        // themselves; the nginx gateway would only add a hop.
        gateway: { enabled: false },
        lokiCanary: { enabled: false },
        test: { enabled: false },
        minio: { enabled: false },
        // The chunk cache alone asks for 8 GiB; the capped in-process caches above serve instead.
        memcached: { enabled: false },
        chunksCache: { enabled: false },
        resultsCache: { enabled: false },
        sidecar: { rules: { enabled: false } },
        rbac: { namespaced: true },
        monitoring: {
            serviceMonitor: { enabled: serviceMonitors },
            dashboards: { enabled: false },
            rules: { enabled: false },
        },
    };
}

/** Loki, the log store. */
export class Loki extends pulumi.ComponentResource {
    readonly release: k8s.helm.v3.Release;
    /** Labels of all its pods, for NetworkPolicies. */
    readonly pods: PodLabels;
    /** Labels of each target's pods in simple-scalable mode; undefined in monolithic mode, where one pod serves all. */
    readonly targets?: Record<LokiTarget, PodLabels>;
    /** URL log shippers push to. */
    readonly pushUrl: pulumi.Output<string>;
    /** Base URL Grafana's Loki datasource queries. */
    readonly queryUrl: pulumi.Output<string>;

    constructor(name: string, args: LokiArgs, opts?: pulumi.ComponentResourceOptions) {
        super(componentType("Loki"), name, {}, opts);
        const releaseName = args.releaseName ?? DEFAULT_RELEASE_NAMES.loki;
        const { mode } = args.settings;
        this.pods = lokiPods(releaseName);
        if (mode === "simple-scalable") {
            this.targets = Object.fromEntries(LOKI_TARGETS.map((target) => [target, lokiTargetPods(releaseName, target)])) as Record<
                LokiTarget,
                PodLabels
            >;
        }
        const storage = args.objectStorage;
        this.release = installSubsystem(this, name, args, {
            chart: CHARTS.loki,
            releaseName,
            values: (input) => (storage ? storage.store.apply((store) => lokiValues(input, store)) : lokiValues(input)),
            dependsOn: storage?.ready,
        });
        const suffixes = LOKI_SERVICE_SUFFIXES[mode];
        this.pushUrl = releaseServiceUrl(this.release, LOKI_HTTP_PORT, { suffix: suffixes.push, path: LOKI_PUSH_PATH });
        this.queryUrl = releaseServiceUrl(this.release, LOKI_HTTP_PORT, { suffix: suffixes.query });
        this.registerOutputs({ pushUrl: this.pushUrl, queryUrl: this.queryUrl });
    }
}
