import { createHash } from "crypto";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { CHARTS } from "../config/charts";
import { DcgmExporterConfig } from "../config/dcgmExporter";
import { countersCsv, dcgmCounterList } from "../config/dcgmCounters";
import { HelmValues } from "./helm";
import { RESTRICTED_CONTAINER } from "./podSecurity";
import { DEFAULT_RELEASE_NAMES } from "./releaseNames";
import { componentType, installSubsystem, SubsystemArgs, ValuesInput } from "./subsystem";

export type DcgmExporterArgs = SubsystemArgs<DcgmExporterConfig>;

export const DCGM_EXPORTER_PORT = 9400;
const COUNTERS_PATH = "/etc/dcgm-exporter/default-counters.csv";
// The chart renders `customMetrics` into a ConfigMap of this fixed name (templates/metrics-configmap.yaml).
const COUNTERS_CONFIGMAP = "exporter-metrics-config-map";

/**
 * How the exporter's targets are scraped, ours or the GPU Operator's alike. Series carry the pod,
 * namespace and container of the workload using the GPU: honour them rather than letting
 * Prometheus rename them exported_*.
 */
const GPU_SCRAPE = {
    honorLabels: true,
    relabelings: [
        // The node of the GPU, by the name every other Kubernetes series uses.
        { action: "replace", sourceLabels: ["__meta_kubernetes_pod_node_name"], targetLabel: "node" },
        // ...and no labels of the exporter's own pod, which would mark idle GPUs as used by it.
        { action: "labeldrop", regex: "(pod|namespace|container)" },
    ],
};

/**
 * The GPU Operator's exporter: its Service (assets/state-dcgm-exporter/0600_service.yaml of
 * NVIDIA/gpu-operator) in the operator's namespace.
 */
export const GPU_OPERATOR_EXPORTER = {
    service: "nvidia-dcgm-exporter",
    labels: { app: "nvidia-dcgm-exporter" },
    port: "gpu-metrics",
} as const;

/**
 * A ServiceMonitor for the GPU Operator's exporter, scraped like ours. The operator's own monitor
 * (ClusterPolicy dcgmExporter.serviceMonitor, off by default) does not honour the workload's pod
 * labels; keep it off so GPUs are not scraped twice.
 */
export function gpuOperatorServiceMonitorSpec(operatorNamespace: string) {
    return {
        selector: { matchLabels: GPU_OPERATOR_EXPORTER.labels },
        namespaceSelector: { matchNames: [operatorNamespace] },
        endpoints: [{ port: GPU_OPERATOR_EXPORTER.port, path: "/metrics", interval: "15s", scrapeTimeout: "10s", ...GPU_SCRAPE }],
    };
}

/** Helm values of NVIDIA's DCGM exporter chart: GPU nodes only, per-pod attribution, the configured counter list. */
export function dcgmExporterValues({ settings, serviceMonitors, releaseName }: ValuesInput<DcgmExporterConfig>): HelmValues {
    const counters = countersCsv(dcgmCounterList(settings.counters));
    return {
        fullnameOverride: releaseName,
        nodeSelector: settings.nodeSelector,
        tolerations: settings.tolerations,
        // The chart's built-in list is older than the exporter's own default: always pass the configured one.
        customMetrics: counters,
        arguments: ["-f", COUNTERS_PATH],
        extraConfigMapVolumes: [
            {
                name: "exporter-metrics-volume",
                configMap: { name: COUNTERS_CONFIGMAP, items: [{ key: "metrics", path: "default-counters.csv" }] },
            },
            { name: "tmp", emptyDir: { medium: "Memory", sizeLimit: "64Mi" } },
        ],
        extraVolumeMounts: [
            { name: "exporter-metrics-volume", mountPath: COUNTERS_PATH, subPath: "default-counters.csv", readOnly: true },
            { name: "tmp", mountPath: "/tmp" },
        ],
        // The chart has no checksum of the counters: without this a changed list never reaches running pods.
        podAnnotations: { "gpu-observability/counters-checksum": createHash("sha256").update(counters).digest("hex") },
        podSecurityContext: { seccompProfile: { type: "RuntimeDefault" } },
        securityContext: {
            ...RESTRICTED_CONTAINER,
            // Exception: the embedded DCGM host engine refuses to start as non-root, and the
            // profiling (DCGM_FI_PROF_*) counters need CAP_SYS_ADMIN.
            runAsNonRoot: false,
            runAsUser: 0,
            runAsGroup: 0,
            capabilities: { drop: ["ALL"], add: ["SYS_ADMIN"] },
        },
        resources: settings.resources,
        service: { enable: true, type: "ClusterIP", port: DCGM_EXPORTER_PORT, address: `:${DCGM_EXPORTER_PORT}` },
        serviceMonitor: {
            enabled: serviceMonitors,
            interval: "15s",
            scrapeTimeout: "10s",
            // Series carry the pod, namespace and container of the workload using the GPU; honour
            // them rather than letting Prometheus rename them exported_*.
            ...GPU_SCRAPE,
        },
        // Pod mapping needs only the kubelet pod-resources socket the chart mounts; pod labels would need API access.
        kubernetes: { enablePodLabels: false, enablePodUID: false },
    };
}

/**
 * NVIDIA's DCGM exporter on every GPU node, publishing per-GPU, per-pod metrics: installed here
 * (mode install), or the GPU Operator's, which Prometheus is then made to scrape (mode gpu-operator).
 */
export class DcgmExporter extends pulumi.ComponentResource {
    /** The exporter's release, in mode install. */
    readonly release?: k8s.helm.v3.Release;
    /** The monitor of the operator's exporter, in mode gpu-operator. */
    readonly serviceMonitor?: k8s.apiextensions.CustomResource;
    /** Prometheus job of the exporter's targets: the name of the Service scraped. */
    readonly job: pulumi.Output<string>;

    constructor(name: string, args: DcgmExporterArgs, opts?: pulumi.ComponentResourceOptions) {
        super(componentType("DcgmExporter"), name, {}, opts);
        if (args.settings.mode === "gpu-operator") {
            this.serviceMonitor = new k8s.apiextensions.CustomResource(
                name,
                {
                    apiVersion: "monitoring.coreos.com/v1",
                    kind: "ServiceMonitor",
                    metadata: { name: GPU_OPERATOR_EXPORTER.service, namespace: args.namespace },
                    spec: gpuOperatorServiceMonitorSpec(args.settings.gpuOperatorNamespace),
                },
                { parent: this, dependsOn: args.monitoringCrds ? [args.monitoringCrds] : [] },
            );
            this.job = pulumi.output(GPU_OPERATOR_EXPORTER.service);
        } else {
            const releaseName = args.releaseName ?? DEFAULT_RELEASE_NAMES.dcgmExporter;
            this.release = installSubsystem(this, name, args, {
                chart: CHARTS.dcgmExporter,
                releaseName,
                values: dcgmExporterValues,
            });
            this.job = this.release.name;
        }
        this.registerOutputs({ job: this.job });
    }
}
