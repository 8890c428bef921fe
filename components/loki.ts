import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { CHARTS } from "../config/charts";
import { LokiConfig } from "../config/loki";
import { ObjectStorage } from "./objectStorage";
import { HelmValues, releaseServiceUrl } from "./helm";
import { RESTRICTED_CONTAINER, restrictedPod } from "./podSecurity";
import { DEFAULT_RELEASE_NAMES } from "./releaseNames";
import { chartPods, componentType, installSubsystem, PodLabels, SubsystemArgs, ValuesInput } from "./subsystem";

export interface LokiArgs extends SubsystemArgs<LokiConfig> {
    /** The object store chunks and index live in; unset: the pod's own volume. */
    objectStorage?: Pick<ObjectStorage, "store" | "ready">;
}

export const LOKI_HTTP_PORT = 3100;
export const LOKI_GRPC_PORT = 9095;
export const LOKI_MEMBERLIST_PORT = 7946;
export const LOKI_PUSH_PATH = "/loki/api/v1/push";
// The single binary's volume; chunks, index, rules, write-ahead log and compactor state all live here.
const DATA_DIR = "/var/loki";

/** Labels of Loki's pods, as the chart's Service selects them. */
export const lokiPods = (releaseName: string) => chartPods(CHARTS.loki, releaseName);

const zeroReplicas = (...targets: string[]) => Object.fromEntries(targets.map((target) => [target, { replicas: 0 }]));

/** Helm values of the Loki chart in monolithic mode on filesystem storage. */
export function lokiValues({ settings, storageClass, serviceMonitors, releaseName }: ValuesInput<LokiConfig>): HelmValues {
    return {
        fullnameOverride: releaseName,
        deploymentMode: "Monolithic",
        loki: {
            // The chart defaults to multi-tenant, which demands X-Scope-OrgID on every push and query:
            // on only when a tenant is configured, which the shipper and Grafana then send.
            auth_enabled: settings.tenant !== undefined,
            podSecurityContext: restrictedPod(10001),
            containerSecurityContext: RESTRICTED_CONTAINER,
            commonConfig: { replication_factor: 1 },
            storage: {
                type: "filesystem",
                filesystem: { chunks_directory: `${DATA_DIR}/chunks`, rules_directory: `${DATA_DIR}/rules` },
            },
            schemaConfig: {
                configs: [
                    {
                        from: "2024-01-01",
                        store: "tsdb",
                        object_store: "filesystem",
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
            limits_config: { retention_period: settings.retention },
            compactor: {
                working_directory: `${DATA_DIR}/compactor`,
                compaction_interval: "10m",
                retention_enabled: true,
                retention_delete_delay: "2h",
                delete_request_store: "filesystem",
            },
            // Without memcached Loki caches in process (100 MB each by default); cap both inside the
            // pod's memory, and turn on result caching, which the chart only sets with memcached.
            structuredConfig: {
                chunk_store_config: { chunk_cache_config: { embedded_cache: { enabled: true, max_size_mb: 64 } } },
                query_range: {
                    cache_results: true,
                    results_cache: { cache: { embedded_cache: { enabled: true, max_size_mb: 64 } } },
                },
            },
        },
        singleBinary: {
            replicas: 1,
            resources: settings.resources,
            persistence: { enabled: true, size: settings.storageSize, storageClass: storageClass ?? "" },
        },
        // The chart validates that the scalable targets are off in monolithic mode (their defaults are 3).
        ...zeroReplicas(
            "backend",
            "read",
            "write",
            "ingester",
            "distributor",
            "querier",
            "queryFrontend",
            "queryScheduler",
            "indexGateway",
            "compactor",
            "ruler",
        ),
        // One pod resolves its own gossip address only if it is published before it is ready (grafana/loki#7907).
        memberlist: { service: { publishNotReadyAddresses: true } },
        // The Loki Service serves push and query itself; the nginx gateway would only add a hop.
        gateway: { enabled: false },
        lokiCanary: { enabled: false },
        test: { enabled: false },
        minio: { enabled: false },
        // The chunk cache alone asks for 8 GiB; the in-process caches above serve a single binary.
        memcached: { enabled: false },
        chunksCache: { enabled: false },
        resultsCache: { enabled: false },
        sidecar: { rules: { enabled: false } },
        rbac: { namespaced: true },
        defaults: { automountServiceAccountToken: false },
        serviceAccount: { automountServiceAccountToken: false },
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
    /** Labels of its pods, for NetworkPolicies. */
    readonly pods: PodLabels;
    /** URL log shippers push to. */
    readonly pushUrl: pulumi.Output<string>;
    /** Base URL Grafana's Loki datasource queries. */
    readonly queryUrl: pulumi.Output<string>;

    constructor(name: string, args: LokiArgs, opts?: pulumi.ComponentResourceOptions) {
        super(componentType("Loki"), name, {}, opts);
        const releaseName = args.releaseName ?? DEFAULT_RELEASE_NAMES.loki;
        this.pods = lokiPods(releaseName);
        this.release = installSubsystem(this, name, args, { chart: CHARTS.loki, releaseName, values: lokiValues });
        this.pushUrl = releaseServiceUrl(this.release, LOKI_HTTP_PORT, { path: LOKI_PUSH_PATH });
        this.queryUrl = releaseServiceUrl(this.release, LOKI_HTTP_PORT);
        this.registerOutputs({ pushUrl: this.pushUrl, queryUrl: this.queryUrl });
    }
}
