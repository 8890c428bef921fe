import YAML from "yaml";
import { goDuration } from "../../config/formats";
import { TempoComponentName, TempoConfig } from "../../config/tempo";
import { HelmValues } from "../helm";
import { MOUNT_API_TOKEN } from "../objectStorage";
import { disruptionBudget, spreadAffinity, topologySpread } from "../placement";
import { RESTRICTED_CONTAINER, restrictedPod } from "../podSecurity";
import { PodLabels } from "../subsystem";
import {
    grpcMessageLimits,
    memberlistClusterLabel,
    otlpReceivers,
    remoteWrite,
    TEMPO_PORTS,
    TEMPO_UID,
    tempoConfigFile,
    TempoValuesInput,
    tempoOverrides,
} from "./common";
import { traceStorage } from "./storage";

/** Each microservice's `-target` name: its pods' `app.kubernetes.io/component` label and Service name suffix. */
export const TEMPO_TARGETS: Readonly<Record<TempoComponentName, string>> = {
    distributor: "distributor",
    queryFrontend: "query-frontend",
    querier: "querier",
    metricsGenerator: "metrics-generator",
    backendScheduler: "backend-scheduler",
    backendWorker: "backend-worker",
    blockBuilder: "block-builder",
    liveStore: "live-store",
};

/**
 * Labels of tempo-distributed's pods (templates/_helpers.tpl "tempo.selectorLabels"): the name is
 * "tempo", not the chart's name, unless nameOverride; a component adds its target.
 */
export const tempoDistributedPods = (releaseName: string, component?: TempoComponentName): PodLabels => ({
    "app.kubernetes.io/name": "tempo",
    "app.kubernetes.io/instance": releaseName,
    ...(component ? { "app.kubernetes.io/component": TEMPO_TARGETS[component] } : {}),
});

/**
 * Zone and node spread and node anti-affinity of one component, preferred rather than the chart's
 * required node anti-affinity (which leaves a second replica Pending on a one-node cluster). The
 * chart renders both keys through `tpl`, so they are YAML strings, not objects.
 */
function placement(releaseName: string, component: TempoComponentName): HelmValues {
    const pods = tempoDistributedPods(releaseName, component);
    return { affinity: YAML.stringify(spreadAffinity(pods)), topologySpreadConstraints: YAML.stringify(topologySpread(pods)) };
}

/** The chart's PodDisruptionBudget of a component: one replica at a time, and none for a single replica. */
function budget(replicas: number): HelmValues {
    const pdb = disruptionBudget(replicas);
    return { podDisruptionBudget: { enabled: pdb !== undefined }, ...(pdb ?? {}) };
}

/** A component's replicas, size, placement and disruption budget. */
function sized(settings: TempoConfig, releaseName: string, component: TempoComponentName, replicas: number): HelmValues {
    return {
        replicas,
        resources: settings.distributed[component].resources,
        ...placement(releaseName, component),
        ...budget(replicas),
    };
}

// The chart's own choices that differ from Tempo's defaults (tempo-distributed 3.3.0 values.yaml
// `memberlist`, `metricsGenerator.config`, `queryFrontend.config`), kept as the chart set them.
const CHART_MEMBERLIST = { leave_timeout: "5s", packet_dial_timeout: "5s", stream_timeout: "10s" };
const CHART_SPAN_METRICS_BUCKETS = [0.002, 0.004, 0.008, 0.016, 0.032, 0.064, 0.128, 0.256, 0.512, 1.02, 2.05, 4.1];
const CHART_METRICS_MAX_DURATION = "3h";

/**
 * Tempo 3's config file, the same for every component: the chart's wiring (Service addresses, the
 * gossip ring, the runtime overrides file), the choices of its values that differ from Tempo's own
 * defaults, and what the stack sets; no key Tempo 3.0.3 would ignore, and none that only repeats a
 * default (docs/sources/tempo/configuration/manifest.md).
 */
export function distributedConfig({ settings, releaseName, namespace, metricsRemoteWriteUrls, objectStore }: TempoValuesInput): HelmValues {
    if (!objectStore) throw new Error("Tempo in distributed mode keeps its blocks in object storage; pass objectStore");
    const { kafka } = settings;
    const metricsGenerator = metricsRemoteWriteUrls !== undefined;
    const grpc = grpcMessageLimits(settings.limits);
    // Services of the release (templates/_helpers.tpl tempo.resourceName: <fullname>-<component>).
    const service = (component: string) => `${releaseName}-${component}`;
    return {
        usage_report: { reporting_enabled: false },
        memberlist: {
            cluster_label: memberlistClusterLabel(releaseName, namespace),
            join_members: [`dns+${service("gossip-ring")}:${TEMPO_PORTS.memberlist}`],
            ...CHART_MEMBERLIST,
        },
        server: { http_listen_port: TEMPO_PORTS.http, ...grpc.server },
        distributor: { receivers: otlpReceivers() },
        ingest: {
            kafka: {
                address: kafka.address ?? "",
                topic: kafka.topic,
                // Auto-creation sets the whole Kafka cluster's num.partitions (every other topic's
                // default), and where Tempo may not, the topic silently gets the broker default and
                // writes to the missing partitions fail: the topic is created beforehand instead.
                // auto_create_topic_default_partitions only applies with auto-creation on
                // (pkg/ingest/writer_client.go, reader_client.go), so it is left out.
                auto_create_topic_enabled: false,
            },
        },
        // Block-builder n reads partition n, the one live-store n owns and the distributors write to
        // (modules/blockbuilder/config.go AssignedPartitions; the whole rule: config/tempo.ts
        // KAFKA_PARTITION_RULE).
        block_builder: { partitions_per_instance: 1 },
        backend_worker: {
            backend_scheduler_addr: `${service("backend-scheduler")}:${TEMPO_PORTS.grpc}`,
            // The chart shards the workers over a ring (Tempo's default leaves them unsharded).
            ring: { kvstore: { store: "memberlist" } },
            // Retention is enforced here: a backend worker runs each retention job the scheduler
            // hands it with its own compaction settings (modules/backendworker/backendworker.go
            // processRetentionJob -> tempodb/retention.go retainTenant, compactorCfg.BlockRetention).
            // The scheduler's provider.compaction.compaction keeps only the keys its block selector
            // reads (modules/backendscheduler/provider/compaction.go: compaction_window,
            // max_compaction_objects, max_block_bytes), all at Tempo's defaults, so it has no section
            // here. Tempo takes Go durations: 7d is 168h.
            compaction: { block_retention: goDuration(settings.retention) },
        },
        ...(metricsGenerator
            ? {
                  metrics_generator: {
                      processor: { span_metrics: { histogram_buckets: CHART_SPAN_METRICS_BUCKETS } },
                      storage: { path: "/var/tempo/wal", remote_write: remoteWrite(metricsRemoteWriteUrls) },
                  },
              }
            : {}),
        querier: {
            frontend_worker: {
                frontend_address: `${service("query-frontend-discovery")}:${TEMPO_PORTS.grpc}`,
                ...grpc.frontendWorker,
            },
        },
        query_frontend: { metrics: { max_duration: CHART_METRICS_MAX_DURATION } },
        // The chart mounts its runtime ConfigMap (`per_tenant_overrides`) at /runtime-config.
        overrides: { ...tempoOverrides(settings.limits, metricsGenerator), per_tenant_override_config: "/runtime-config/overrides.yaml" },
        // Blocks live in the bucket only: the components keep their write-ahead logs under their own paths.
        storage: { trace: traceStorage(objectStore).trace },
    };
}

/**
 * Helm values of tempo-distributed (Tempo 3): distributors write spans to the existing Kafka;
 * block-builders (one per partition) write blocks to the object store; live-stores (one per
 * partition) answer for recent spans; the query-frontend and queriers answer Grafana; the
 * backend-scheduler and workers compact and expire blocks; the metrics generator writes span
 * metrics to Prometheus. The gateway, memcached, Grafana Agent meta-monitoring, rollout-operator
 * and enterprise parts stay off: a self-hosted OSS install behind a ClusterIP needs none of them.
 * Tempo's config file is the stack's own (`config`): the chart merges `tempo.structuredConfig`
 * over it.
 */
export function distributedValues(input: TempoValuesInput): HelmValues {
    const { settings, serviceMonitors, releaseName, metricsRemoteWriteUrls, objectStore } = input;
    if (!objectStore) throw new Error("Tempo in distributed mode keeps its blocks in object storage; pass objectStore");
    const { pod } = traceStorage(objectStore);
    const { distributed, kafka } = settings;
    const replicas = (component: "distributor" | "queryFrontend" | "querier" | "metricsGenerator" | "backendWorker") =>
        distributed[component].replicas;
    return {
        fullnameOverride: releaseName,
        config: tempoConfigFile(distributedConfig(input)),
        tempo: {
            // The chart's default container context runs as 1000, over the pod's user: name the same one.
            securityContext: { ...RESTRICTED_CONTAINER, runAsNonRoot: true, runAsUser: TEMPO_UID, runAsGroup: TEMPO_UID },
            podSecurityContext: restrictedPod(TEMPO_UID),
            ...(Object.keys(pod.podLabels).length ? { podLabels: pod.podLabels } : {}),
        },
        // Every Tempo pod (not memcached's) takes these: the object store's credentials and flags.
        defaults: {
            extraArgs: pod.args,
            extraEnv: pod.env,
            extraEnvFrom: pod.envFrom,
            extraVolumes: pod.volumes,
            extraVolumeMounts: pod.volumeMounts,
        },
        serviceAccount: {
            create: true,
            // No Kubernetes API token, with workload identity too: its webhook projects its own (MOUNT_API_TOKEN).
            automountServiceAccountToken: MOUNT_API_TOKEN,
            ...(Object.keys(pod.serviceAccountAnnotations).length ? { annotations: pod.serviceAccountAnnotations } : {}),
        },
        // The distributors' Services and container ports: OTLP only, as their receivers in the config.
        traces: { otlp: { grpc: { enabled: true }, http: { enabled: true } } },
        // templates/validate.yaml refuses block-builders and live-stores without it; Tempo reads it from the config.
        ingest: { kafka: { address: kafka.address ?? "" } },
        distributor: sized(settings, releaseName, "distributor", replicas("distributor")),
        queryFrontend: {
            ...sized(settings, releaseName, "queryFrontend", replicas("queryFrontend")),
            // The Jaeger UI sidecar (tempo-query): Grafana is the UI.
            query: { enabled: false },
        },
        querier: sized(settings, releaseName, "querier", replicas("querier")),
        metricsGenerator: {
            enabled: metricsRemoteWriteUrls !== undefined,
            ...sized(settings, releaseName, "metricsGenerator", replicas("metricsGenerator")),
        },
        backendScheduler: {
            enabled: true,
            resources: distributed.backendScheduler.resources,
            ...placement(releaseName, "backendScheduler"),
        },
        // templates/backend-worker/poddisruptionbudget-backend-worker.yaml reads podDisruptionBudget
        // and maxUnavailable, which values.yaml leaves out, as soon as there are two replicas.
        backendWorker: sized(settings, releaseName, "backendWorker", replicas("backendWorker")),
        // Exactly one block-builder and one live-store per Kafka partition, as the config's rule needs.
        blockBuilder: { enabled: true, ...sized(settings, releaseName, "blockBuilder", kafka.partitions) },
        liveStore: { enabled: true, ...sized(settings, releaseName, "liveStore", kafka.partitions) },
        // Unsized caches would be containers without resources; the config above names no cache.
        memcached: { enabled: false },
        gateway: { enabled: false },
        metaMonitoring: { serviceMonitor: { enabled: serviceMonitors }, grafanaAgent: { enabled: false, installOperator: false } },
        rollout_operator: { enabled: false },
    };
}
