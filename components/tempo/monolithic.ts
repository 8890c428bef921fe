import { goDuration } from "../../config/formats";
import { HelmValues } from "../helm";
import { RESTRICTED_CONTAINER, restrictedPod } from "../podSecurity";
import { remoteWrite, TEMPO_PORTS, TEMPO_UID, TempoValuesInput, tempoOverrides } from "./common";
import { traceStorage } from "./storage";

/** `-flag=value` as the chart's `tempo.extraArgs` map, which it renders back as `-key=value`. */
const argsMap = (args: string[]): Record<string, string> =>
    Object.fromEntries(args.map((arg) => arg.replace(/^-/, "").split("=", 2) as [string, string]));

/** Helm values of the monolithic Tempo chart (`tempo`): one pod, receivers, querier and compactor in one. */
export function monolithicValues({
    settings,
    storageClass,
    serviceMonitors,
    releaseName,
    metricsRemoteWriteUrls,
    objectStore,
}: TempoValuesInput): HelmValues {
    // Without an object store, blocks and the write-ahead log both live on the volume at /var/tempo;
    // with one, only the write-ahead log does.
    const storage = objectStore ? traceStorage(objectStore) : undefined;
    const pod = storage?.pod;
    return {
        fullnameOverride: releaseName,
        tempo: {
            // The chart's 1 GiB ballast would let the heap outgrow a 1 GiB limit; GOMEMLIMIT bounds the GC instead.
            memBallastSizeMbs: 0,
            extraEnv: [{ name: "GOMEMLIMIT", valueFrom: { resourceFieldRef: { resource: "limits.memory" } } }, ...(pod?.env ?? [])],
            ...(pod?.envFrom.length ? { extraEnvFrom: pod.envFrom } : {}),
            ...(pod?.args.length ? { extraArgs: argsMap(pod.args) } : {}),
            ...(pod?.volumeMounts.length ? { extraVolumeMounts: pod.volumeMounts } : {}),
            reportingEnabled: false,
            // Tempo parses Go durations, which have no `d`: 7d must reach it as 168h.
            retention: goDuration(settings.retention),
            receivers: {
                otlp: {
                    protocols: {
                        grpc: { endpoint: `0.0.0.0:${TEMPO_PORTS.otlpGrpc}` },
                        http: { endpoint: `0.0.0.0:${TEMPO_PORTS.otlpHttp}` },
                    },
                },
            },
            storage: {
                trace: storage
                    ? { ...storage.trace, wal: { path: "/var/tempo/wal" } }
                    : { backend: "local", local: { path: "/var/tempo/traces" }, wal: { path: "/var/tempo/wal" } },
            },
            overrides: tempoOverrides(settings.limits, metricsRemoteWriteUrls !== undefined),
            ...(metricsRemoteWriteUrls === undefined
                ? {}
                : {
                      metricsGenerator: {
                          enabled: true,
                          storage: { path: "/var/tempo/generator/wal", remote_write: remoteWrite(metricsRemoteWriteUrls) },
                          traces_storage: { path: "/var/tempo/generator/traces" },
                      },
                  }),
            resources: settings.resources,
            securityContext: RESTRICTED_CONTAINER,
        },
        ...(pod?.volumes.length ? { extraVolumes: pod.volumes } : {}),
        ...(pod && Object.keys(pod.podLabels).length ? { podLabels: pod.podLabels } : {}),
        securityContext: restrictedPod(TEMPO_UID),
        serviceAccount: {
            create: true,
            automountServiceAccountToken: false,
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
