import YAML from "yaml";
import { goDuration } from "../../config/formats";
import { TempoComponentName, TempoConfig } from "../../config/tempo";
import { HelmValues } from "../helm";
import { disruptionBudget, spreadAffinity, topologySpread } from "../placement";
import { RESTRICTED_CONTAINER, restrictedPod } from "../podSecurity";
import { PodLabels } from "../subsystem";
import { remoteWrite, TEMPO_UID, TempoValuesInput, tempoOverrides } from "./common";
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

/**
 * Helm values of tempo-distributed (Tempo 3): distributors write spans to the existing Kafka;
 * block-builders (one per partition) write blocks to the object store; live-stores (one per
 * partition) answer for recent spans; the query-frontend and queriers answer Grafana; the
 * backend-scheduler and workers compact and expire blocks; the metrics generator writes span
 * metrics to Prometheus. The gateway, memcached, Grafana Agent meta-monitoring, rollout-operator
 * and enterprise parts stay off: a self-hosted OSS install behind a ClusterIP needs none of them.
 */
export function distributedValues({
    settings,
    serviceMonitors,
    releaseName,
    metricsRemoteWriteUrls,
    objectStore,
}: TempoValuesInput): HelmValues {
    if (!objectStore) throw new Error("Tempo in distributed mode keeps its blocks in object storage; pass objectStore");
    const { trace, pod } = traceStorage(objectStore);
    const { distributed, kafka } = settings;
    const replicas = (component: "distributor" | "queryFrontend" | "querier" | "metricsGenerator" | "backendWorker") =>
        distributed[component].replicas;
    const metricsGenerator = metricsRemoteWriteUrls !== undefined;
    return {
        fullnameOverride: releaseName,
        reportingEnabled: false,
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
            automountServiceAccountToken: false,
            ...(Object.keys(pod.serviceAccountAnnotations).length ? { annotations: pod.serviceAccountAnnotations } : {}),
        },
        // The distributors' receivers: OTLP only, on its standard ports.
        traces: { otlp: { grpc: { enabled: true }, http: { enabled: true } } },
        ingest: {
            kafka: {
                address: kafka.address ?? "",
                topic: kafka.topic,
                // Auto-creation sets the whole Kafka cluster's num.partitions (every other topic's
                // default), and where Tempo may not, the topic silently gets the broker default and
                // writes to the missing partitions fail: the topic is created beforehand instead.
                auto_create_topic_enabled: false,
            },
        },
        distributor: sized(settings, releaseName, "distributor", replicas("distributor")),
        queryFrontend: {
            ...sized(settings, releaseName, "queryFrontend", replicas("queryFrontend")),
            // The Jaeger UI sidecar (tempo-query): Grafana is the UI.
            query: { enabled: false },
        },
        querier: sized(settings, releaseName, "querier", replicas("querier")),
        metricsGenerator: {
            enabled: metricsGenerator,
            ...sized(settings, releaseName, "metricsGenerator", replicas("metricsGenerator")),
            ...(metricsGenerator ? { config: { storage: { remote_write: remoteWrite(metricsRemoteWriteUrls) } } } : {}),
        },
        backendScheduler: {
            enabled: true,
            resources: distributed.backendScheduler.resources,
            ...placement(releaseName, "backendScheduler"),
            // Retention: the scheduler plans deletions of expired blocks; the chart hands the same
            // compaction settings to the workers. Tempo takes Go durations: 7d is 168h.
            config: { provider: { compaction: { compaction: { block_retention: goDuration(settings.retention) } } } },
        },
        // templates/backend-worker/poddisruptionbudget-backend-worker.yaml reads podDisruptionBudget
        // and maxUnavailable, which values.yaml leaves out, as soon as there are two replicas.
        backendWorker: sized(settings, releaseName, "backendWorker", replicas("backendWorker")),
        // Exactly one block-builder and one live-store per Kafka partition (partitions_per_instance 1).
        blockBuilder: { enabled: true, ...sized(settings, releaseName, "blockBuilder", kafka.partitions) },
        liveStore: { enabled: true, ...sized(settings, releaseName, "liveStore", kafka.partitions) },
        storage: { trace },
        overrides: tempoOverrides(settings.limits, metricsGenerator),
        // Unsized caches would be containers without resources; with memcached off the chart copies
        // `cache` verbatim, and its default names a memcached that is not there.
        memcached: { enabled: false },
        cache: { caches: [] },
        gateway: { enabled: false },
        metaMonitoring: { serviceMonitor: { enabled: serviceMonitors }, grafanaAgent: { enabled: false, installOperator: false } },
        rollout_operator: { enabled: false },
    };
}
