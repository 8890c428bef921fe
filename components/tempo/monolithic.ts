import { goDuration } from "../../config/formats";
import { HelmValues } from "../helm";
import { MOUNT_API_TOKEN } from "../objectStorage";
import { RESTRICTED_CONTAINER, restrictedPod } from "../podSecurity";
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

/** `-flag=value` as the chart's `tempo.extraArgs` map, which it renders back as `-key=value`. */
const argsMap = (args: string[]): Record<string, string> =>
    Object.fromEntries(args.map((arg) => arg.replace(/^-/, "").split("=", 2) as [string, string]));

// The volume the chart mounts at /var/tempo (templates/statefulset.yaml): the write-ahead log, the
// metrics generator's, and the blocks when there is no object store.
const DATA_DIR = "/var/tempo";

/** The Jaeger protocols chart tempo's values.yaml turns on in `tempo.receivers`. */
const CHART_JAEGER_PROTOCOLS = ["grpc", "thrift_binary", "thrift_compact", "thrift_http"] as const;

/** Tempo 2's config file (the single binary): what the stack sets and the chart's wiring, nothing Tempo would ignore. */
export function monolithicConfig({ settings, releaseName, namespace, metricsRemoteWriteUrls, objectStore }: TempoValuesInput): HelmValues {
    const storage = objectStore ? traceStorage(objectStore) : undefined;
    const metricsGenerator = metricsRemoteWriteUrls !== undefined;
    const grpc = grpcMessageLimits(settings.limits);
    return {
        memberlist: { cluster_label: memberlistClusterLabel(releaseName, namespace) },
        usage_report: { reporting_enabled: false },
        // Tempo parses Go durations, which have no `d`: 7d must reach it as 168h.
        compactor: { compaction: { block_retention: goDuration(settings.retention) } },
        // OTLP only: the collector speaks it, and a receiver nobody sends to is a port open for nothing.
        distributor: { receivers: otlpReceivers() },
        server: { http_listen_port: TEMPO_PORTS.http, ...grpc.server },
        querier: { frontend_worker: grpc.frontendWorker },
        storage: {
            // Without an object store, blocks and the write-ahead log both live on the volume; with one,
            // only the write-ahead log does.
            trace: {
                ...(storage ? storage.trace : { backend: "local", local: { path: `${DATA_DIR}/traces` } }),
                wal: { path: `${DATA_DIR}/wal` },
            },
        },
        // The chart keeps `tempo.per_tenant_overrides` in this file of its ConfigMap (templates/configmap-tempo.yaml).
        overrides: { ...tempoOverrides(settings.limits, metricsGenerator), per_tenant_override_config: "/conf/overrides.yaml" },
        ...(metricsGenerator
            ? {
                  metrics_generator: {
                      storage: { path: `${DATA_DIR}/generator/wal`, remote_write: remoteWrite(metricsRemoteWriteUrls) },
                      traces_storage: { path: `${DATA_DIR}/generator/traces` },
                  },
              }
            : {}),
    };
}

/** Helm values of the monolithic Tempo chart (`tempo`): one pod, receivers, querier and compactor in one. */
export function monolithicValues(input: TempoValuesInput): HelmValues {
    const { settings, storageClass, serviceMonitors, releaseName, metricsRemoteWriteUrls, objectStore } = input;
    const pod = objectStore ? traceStorage(objectStore).pod : undefined;
    return {
        fullnameOverride: releaseName,
        config: tempoConfigFile(monolithicConfig(input)),
        tempo: {
            // The chart's 1 GiB ballast would let the heap outgrow a 1 GiB limit; GOMEMLIMIT bounds the GC instead.
            memBallastSizeMbs: 0,
            extraEnv: [{ name: "GOMEMLIMIT", valueFrom: { resourceFieldRef: { resource: "limits.memory" } } }, ...(pod?.env ?? [])],
            ...(pod?.envFrom.length ? { extraEnvFrom: pod.envFrom } : {}),
            ...(pod?.args.length ? { extraArgs: argsMap(pod.args) } : {}),
            ...(pod?.volumeMounts.length ? { extraVolumeMounts: pod.volumeMounts } : {}),
            // The Service publishes a port per receiver endpoint set here (templates/_ports.tpl), and
            // `with` skips an empty one: no Jaeger ports, as the config above has no Jaeger receiver.
            receivers: {
                jaeger: { protocols: Object.fromEntries(CHART_JAEGER_PROTOCOLS.map((protocol) => [protocol, { endpoint: "" }])) },
            },
            // Only the pod reads this now: the chart mounts an emptyDir at /tmp for the metrics generator.
            ...(metricsRemoteWriteUrls === undefined ? {} : { metricsGenerator: { enabled: true } }),
            resources: settings.resources,
            securityContext: RESTRICTED_CONTAINER,
        },
        ...(pod?.volumes.length ? { extraVolumes: pod.volumes } : {}),
        ...(pod && Object.keys(pod.podLabels).length ? { podLabels: pod.podLabels } : {}),
        securityContext: restrictedPod(TEMPO_UID),
        serviceAccount: {
            create: true,
            // No Kubernetes API token, with workload identity too: its webhook projects its own (MOUNT_API_TOKEN).
            automountServiceAccountToken: MOUNT_API_TOKEN,
            ...(pod && Object.keys(pod.serviceAccountAnnotations).length ? { annotations: pod.serviceAccountAnnotations } : {}),
        },
        service: { type: "ClusterIP" },
        serviceMonitor: { enabled: serviceMonitors },
        persistence: {
            enabled: true,
            size: settings.storageSize,
            accessModes: ["ReadWriteOnce"],
            ...(storageClass ? { storageClassName: storageClass } : {}),
        },
    };
}
