import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { CHARTS, OTEL_COLLECTOR_IMAGE } from "../config/charts";
import { goDuration } from "../config/formats";
import { OtelCollectorConfig } from "../config/otelCollector";
import { HelmValues, releaseServiceUrl } from "./helm";
import { disruptionBudget, spreadAffinity, topologySpread } from "./placement";
import { RESTRICTED_CONTAINER, restrictedPod } from "./podSecurity";
import { DEFAULT_RELEASE_NAMES } from "./releaseNames";
import { chartPods, componentType, installSubsystem, PodLabels, SubsystemArgs, ValuesInput } from "./subsystem";

export interface OtelCollectorArgs extends SubsystemArgs<OtelCollectorConfig> {
    /** Where traces go: Tempo's OTLP gRPC `host:port`. */
    tracesEndpoint: pulumi.Input<string>;
}

export const OTEL_COLLECTOR_PORTS = { otlpGrpc: 4317, otlpHttp: 4318, metrics: 8888, health: 13133 } as const;

/** Labels of the collector's pods, as the chart's Service selects them. */
export const otelCollectorPods = (releaseName: string) => chartPods(CHARTS.otelCollector, releaseName);

/** The exporter that sends traces to Tempo (`otlp_grpc` is the exporter's current name; `otlp` is its deprecated alias). */
export const TEMPO_EXPORTER = "otlp_grpc/tempo";
// The persistent volume the exporter's queue lives on.
const QUEUE_VOLUME = "queue";
const QUEUE_DIR = "/var/lib/otelcol/queue";

/** What the collector needs to know besides its settings. */
export interface CollectorPipeline {
    /** Tempo's OTLP gRPC `host:port`. */
    tracesEndpoint: string;
    queueSize: number;
    /** Go duration the exporter retries a batch for. */
    retryWindow: string;
}

/** The collector's pipeline config: OTLP in, memory_limiter first, Kubernetes attributes, batch, Tempo out. */
export function otelCollectorConfig({ tracesEndpoint, queueSize, retryWindow }: CollectorPipeline): HelmValues {
    return {
        extensions: {
            health_check: { endpoint: `\${env:MY_POD_IP}:${OTEL_COLLECTOR_PORTS.health}` },
            // The sending queue is kept here, on a persistent volume: a Tempo outage or a
            // collector restart does not drop the spans already accepted.
            file_storage: { directory: QUEUE_DIR, compaction: { on_start: true, directory: QUEUE_DIR } },
        },
        receivers: {
            otlp: {
                protocols: {
                    // All addresses, not just the pod IP: `kubectl port-forward` (and `npm run verify`)
                    // arrive on the pod's loopback. The NetworkPolicy still decides who may connect.
                    grpc: { endpoint: `0.0.0.0:${OTEL_COLLECTOR_PORTS.otlpGrpc}` },
                    http: { endpoint: `0.0.0.0:${OTEL_COLLECTOR_PORTS.otlpHttp}` },
                },
            },
        },
        processors: {
            // Percentages of the container's memory limit, so the limiter follows `resources`.
            memory_limiter: { check_interval: "5s", limit_percentage: 80, spike_limit_percentage: 25 },
            batch: {},
            // k8s_attributes' own settings and RBAC come from the chart's kubernetesAttributes preset.
        },
        exporters: {
            [TEMPO_EXPORTER]: {
                endpoint: tracesEndpoint,
                tls: { insecure: true },
                sending_queue: { enabled: true, storage: "file_storage", queue_size: queueSize },
                retry_on_failure: { enabled: true, initial_interval: "5s", max_interval: "30s", max_elapsed_time: retryWindow },
            },
        },
        service: {
            extensions: ["health_check", "file_storage"],
            telemetry: {
                metrics: {
                    readers: [{ pull: { exporter: { prometheus: { host: "0.0.0.0", port: OTEL_COLLECTOR_PORTS.metrics } } } }],
                },
            },
            pipelines: {
                traces: {
                    receivers: ["otlp"],
                    processors: ["memory_limiter", "k8s_attributes", "batch"],
                    exporters: [TEMPO_EXPORTER],
                },
            },
        },
    };
}

/** Helm values of the OpenTelemetry Collector chart, in gateway (Deployment) mode. */
export function otelCollectorValues(
    { settings, storageClass, serviceMonitors, releaseName }: ValuesInput<OtelCollectorConfig>,
    tracesEndpoint: string,
): HelmValues {
    const pods = otelCollectorPods(releaseName);
    const budget = disruptionBudget(settings.replicas);
    return {
        fullnameOverride: releaseName,
        // A StatefulSet, so each replica keeps its own queue volume across restarts.
        mode: "statefulset",
        replicaCount: settings.replicas,
        // Replicas on different nodes and zones, drained one at a time (templates/pdb.yaml).
        affinity: spreadAffinity(pods),
        topologySpreadConstraints: topologySpread(pods),
        podDisruptionBudget: budget ? { enabled: true, ...budget } : { enabled: false },
        statefulset: {
            volumeClaimTemplates: [
                {
                    metadata: { name: QUEUE_VOLUME },
                    spec: {
                        accessModes: ["ReadWriteOnce"],
                        resources: { requests: { storage: settings.queue.storageSize } },
                        ...(storageClass ? { storageClassName: storageClass } : {}),
                    },
                },
            ],
        },
        extraVolumeMounts: [{ name: QUEUE_VOLUME, mountPath: QUEUE_DIR }],
        image: { repository: OTEL_COLLECTOR_IMAGE },
        command: { name: "otelcol-k8s" },
        presets: { kubernetesAttributes: { enabled: true } },
        // alternateConfig replaces the chart's default config instead of merging into it, so its
        // jaeger, zipkin and prometheus receivers and debug exporter are gone without `null`s
        // (which the Helm Release drops).
        alternateConfig: otelCollectorConfig({
            tracesEndpoint,
            queueSize: settings.queue.size,
            retryWindow: goDuration(settings.queue.retryWindow),
        }),
        service: { type: settings.serviceType },
        ports: {
            "jaeger-compact": { enabled: false },
            "jaeger-thrift": { enabled: false },
            "jaeger-grpc": { enabled: false },
            zipkin: { enabled: false },
            metrics: { enabled: true },
        },
        serviceMonitor: { enabled: serviceMonitors },
        resources: settings.resources,
        podSecurityContext: restrictedPod(10001),
        securityContext: RESTRICTED_CONTAINER,
    };
}

/** The OpenTelemetry Collector: the one OTLP endpoint applications send to. */
export class OtelCollector extends pulumi.ComponentResource {
    readonly release: k8s.helm.v3.Release;
    /** Labels of its pods, for NetworkPolicies. */
    readonly pods: PodLabels;
    /** `host:port` applications send OTLP gRPC to. */
    readonly otlpGrpcEndpoint: pulumi.Output<string>;
    /** URL applications send OTLP HTTP to. */
    readonly otlpHttpEndpoint: pulumi.Output<string>;

    constructor(name: string, args: OtelCollectorArgs, opts?: pulumi.ComponentResourceOptions) {
        super(componentType("OtelCollector"), name, {}, opts);
        const releaseName = args.releaseName ?? DEFAULT_RELEASE_NAMES.otelCollector;
        this.pods = otelCollectorPods(releaseName);
        this.release = installSubsystem(this, name, args, {
            chart: CHARTS.otelCollector,
            releaseName,
            values: (input) => pulumi.output(args.tracesEndpoint).apply((endpoint) => otelCollectorValues(input, endpoint)),
        });
        this.otlpGrpcEndpoint = releaseServiceUrl(this.release, OTEL_COLLECTOR_PORTS.otlpGrpc, { scheme: null });
        this.otlpHttpEndpoint = releaseServiceUrl(this.release, OTEL_COLLECTOR_PORTS.otlpHttp);
        this.registerOutputs({ otlpGrpcEndpoint: this.otlpGrpcEndpoint, otlpHttpEndpoint: this.otlpHttpEndpoint });
    }
}
