import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { CHARTS } from "../config/charts";
import { goDuration } from "../config/formats";
import { TempoConfig } from "../config/tempo";
import { ObjectStorage } from "./objectStorage";
import { HelmValues, mergeValues, releaseServiceUrl } from "./helm";
import { RESTRICTED_CONTAINER, restrictedPod } from "./podSecurity";
import { DEFAULT_RELEASE_NAMES } from "./releaseNames";
import { chartPods, componentType, installSubsystem, PodLabels, SubsystemArgs, ValuesInput } from "./subsystem";

export interface TempoArgs extends SubsystemArgs<TempoConfig> {
    /**
     * Prometheus' remote-write URL. When set, Tempo's metrics generator turns every trace into
     * service-graph and span metrics (request rate, errors, duration per service) written there.
     */
    metricsRemoteWriteUrl?: pulumi.Input<string>;
    /** The object store trace blocks live in; unset: the pod's own volume. */
    objectStorage?: Pick<ObjectStorage, "store" | "ready">;
}

export const TEMPO_PORTS = { otlpGrpc: 4317, otlpHttp: 4318, http: 3200 } as const;

/** Labels of Tempo's pods, as the chart's Service selects them. */
export const tempoPods = (releaseName: string) => chartPods(CHARTS.tempo, releaseName);

/** The metrics generator: service graphs and span metrics, with exemplars, remote-written to Prometheus. */
export function metricsGeneratorValues(remoteWriteUrl: string): HelmValues {
    return {
        tempo: {
            metricsGenerator: {
                enabled: true,
                // Exemplars carry the trace id of a sample, so a latency panel links to its traces.
                storage: { path: "/var/tempo/generator/wal", remote_write: [{ url: remoteWriteUrl, send_exemplars: true }] },
                traces_storage: { path: "/var/tempo/generator/traces" },
            },
            // Processors are per tenant; `defaults` covers the single tenant too (Tempo >= 2.3 format,
            // the only one this chart can render without `null`s).
            overrides: { defaults: { metrics_generator: { processors: ["service-graphs", "span-metrics"] } } },
        },
    };
}

/** Helm values of the monolithic Tempo chart. */
export function tempoValues({ settings, storageClass, serviceMonitors, releaseName }: ValuesInput<TempoConfig>): HelmValues {
    return {
        fullnameOverride: releaseName,
        tempo: {
            // The chart's 1 GiB ballast would let the heap outgrow a 1 GiB limit; GOMEMLIMIT bounds the GC instead.
            memBallastSizeMbs: 0,
            extraEnv: [{ name: "GOMEMLIMIT", valueFrom: { resourceFieldRef: { resource: "limits.memory" } } }],
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
            // Blocks and the write-ahead log both live on the persistent volume mounted at /var/tempo.
            storage: {
                trace: {
                    backend: "local",
                    local: { path: "/var/tempo/traces" },
                    wal: { path: "/var/tempo/wal" },
                },
            },
            resources: settings.resources,
            securityContext: RESTRICTED_CONTAINER,
        },
        securityContext: restrictedPod(10001),
        serviceAccount: { create: true, automountServiceAccountToken: false },
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

/** Tempo, the trace store: receives OTLP, answers Grafana's queries. */
export class Tempo extends pulumi.ComponentResource {
    readonly release: k8s.helm.v3.Release;
    /** Labels of its pods, for NetworkPolicies. */
    readonly pods: PodLabels;
    /** `host:port` of Tempo's OTLP gRPC receiver (no scheme, as OTLP gRPC exporters take it). */
    readonly otlpGrpcEndpoint: pulumi.Output<string>;
    /** URL of Tempo's OTLP HTTP receiver. */
    readonly otlpHttpEndpoint: pulumi.Output<string>;
    /** URL Grafana's Tempo datasource queries. */
    readonly queryUrl: pulumi.Output<string>;

    constructor(name: string, args: TempoArgs, opts?: pulumi.ComponentResourceOptions) {
        super(componentType("Tempo"), name, {}, opts);
        const releaseName = args.releaseName ?? DEFAULT_RELEASE_NAMES.tempo;
        this.pods = tempoPods(releaseName);
        this.release = installSubsystem(this, name, args, {
            chart: CHARTS.tempo,
            releaseName,
            values: (input) =>
                args.metricsRemoteWriteUrl === undefined
                    ? tempoValues(input)
                    : pulumi
                          .output(args.metricsRemoteWriteUrl)
                          .apply((url) => mergeValues(tempoValues(input), metricsGeneratorValues(url))),
        });
        this.otlpGrpcEndpoint = releaseServiceUrl(this.release, TEMPO_PORTS.otlpGrpc, { scheme: null });
        this.otlpHttpEndpoint = releaseServiceUrl(this.release, TEMPO_PORTS.otlpHttp);
        this.queryUrl = releaseServiceUrl(this.release, TEMPO_PORTS.http);
        this.registerOutputs({
            otlpGrpcEndpoint: this.otlpGrpcEndpoint,
            otlpHttpEndpoint: this.otlpHttpEndpoint,
            queryUrl: this.queryUrl,
        });
    }
}
