import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { CHARTS } from "../config/charts";
import { parseQuantity } from "../config/formats";
import { PrometheusConfig } from "../config/prometheus";
import { DASHBOARD_LABEL } from "./grafana";
import { alertmanagerConfigSecretName, alertmanagerValues } from "./alerting/alertmanagerConfig";
import { HelmValues, mergeValues, releaseServiceUrl } from "./helm";
import { RESTRICTED_CONTAINER, restrictedPod } from "./podSecurity";
import { DEFAULT_RELEASE_NAMES } from "./releaseNames";
import { componentType, installSubsystem, PodLabels, SubsystemArgs, ValuesInput } from "./subsystem";

export type PrometheusArgs = SubsystemArgs<PrometheusConfig>;

export const PROMETHEUS_PORT = 9090;
export const ALERTMANAGER_PORT = 9093;
export const ALERTMANAGER_CLUSTER_PORT = 9094;
/** Labels of the operator-managed Prometheus pods, as the chart's Service selects them. */
export const prometheusPods = (releaseName: string) => ({
    "app.kubernetes.io/name": "prometheus",
    "operator.prometheus.io/name": `${releaseName}-prometheus`,
});
/** Labels of the operator-managed Alertmanager pods, as the chart's Service selects them. */
export const alertmanagerPods = (releaseName: string) => ({
    "app.kubernetes.io/name": "alertmanager",
    alertmanager: `${releaseName}-alertmanager`,
});

const MONITOR_KINDS = ["serviceMonitor", "podMonitor", "rule", "probe", "scrapeConfig"] as const;

/** 90% of the volume in Prometheus' size units (MB = MiB), so the TSDB stops before the disk is full. */
export function retentionSizeFor(storageSize: string): string {
    const bytes = parseQuantity(storageSize);
    if (bytes === undefined) throw new Error(`not a quantity: ${storageSize}`);
    return `${Math.floor((bytes * 0.9) / 2 ** 20)}MB`;
}

const volumeClaim = (size: string, storageClass: string | undefined) => ({
    // The CRD leaves apiVersion and kind free and the operator ignores them, but the operator's Go
    // type (published as its OpenAPI schema) names itself: say so, and schema validators agree.
    volumeClaimTemplate: {
        apiVersion: "monitoring.coreos.com/v1",
        kind: "EmbeddedPersistentVolumeClaim",
        spec: {
            accessModes: ["ReadWriteOnce"],
            resources: { requests: { storage: size } },
            ...(storageClass ? { storageClassName: storageClass } : {}),
        },
    },
});

/** Helm values of kube-prometheus-stack: our Prometheus selects every monitor and rule, in every namespace. */
export function prometheusValues({ settings, storageClass, releaseName }: ValuesInput<PrometheusConfig>): HelmValues {
    // The chart treats an empty selector as unset and falls back to its own release label unless
    // the matching *NilUsesHelmValues is false; both together select everything everywhere.
    const selectors = Object.fromEntries(
        MONITOR_KINDS.flatMap((kind) => [
            [`${kind}SelectorNilUsesHelmValues`, false],
            [`${kind}Selector`, {}],
            [`${kind}NamespaceSelector`, {}],
        ]),
    );
    const values: HelmValues = {
        fullnameOverride: releaseName,
        // Our Grafana is the one Grafana; the chart's node and Kubernetes dashboards still reach it
        // as ConfigMaps its dashboard sidecar loads.
        grafana: {
            enabled: false,
            forceDeployDashboards: true,
            forceDeployDatasources: false,
            defaultDashboardsEnabled: true,
            sidecar: { dashboards: { label: DASHBOARD_LABEL.key, labelValue: DASHBOARD_LABEL.value } },
        },
        // Control-plane components listen on localhost on kind and managed clusters: scraping them
        // only yields permanent TargetDown alerts.
        kubeEtcd: { enabled: false },
        kubeControllerManager: { enabled: false },
        kubeScheduler: { enabled: false },
        kubeProxy: { enabled: false },
        alertmanager: {
            enabled: true,
            alertmanagerSpec: {
                replicas: 1,
                resources: { requests: { cpu: "20m", memory: "64Mi" }, limits: { cpu: "100m", memory: "128Mi" } },
                storage: volumeClaim(settings.alertmanagerStorageSize, storageClass),
                securityContext: restrictedPod(1000),
            },
        },
        prometheus: {
            enabled: true,
            prometheusSpec: {
                replicas: 1,
                scrapeInterval: settings.scrapeInterval,
                evaluationInterval: settings.scrapeInterval,
                retention: settings.retention,
                retentionSize: retentionSizeFor(settings.storageSize),
                // Tempo's metrics generator writes service graphs and span metrics here.
                enableRemoteWriteReceiver: true,
                enableFeatures: ["exemplar-storage"],
                ...selectors,
                resources: settings.resources,
                storageSpec: volumeClaim(settings.storageSize, storageClass),
                securityContext: restrictedPod(1000),
            },
        },
        prometheusOperator: {
            enabled: true,
            // The webhook's certificate comes from a certgen Job (or cert-manager); without the
            // webhook the operator still skips invalid rules, and nothing waits on a Job.
            admissionWebhooks: { enabled: false, patch: { enabled: false }, certManager: { enabled: false } },
            tls: { enabled: false },
            resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { cpu: "200m", memory: "256Mi" } },
            prometheusConfigReloader: {
                resources: { requests: { cpu: "10m", memory: "32Mi" }, limits: { cpu: "50m", memory: "64Mi" } },
            },
            securityContext: restrictedPod(65534),
            containerSecurityContext: RESTRICTED_CONTAINER,
        },
        nodeExporter: { enabled: true, operatingSystems: { aix: { enabled: false }, darwin: { enabled: false } } },
        // Exception: node-exporter reports the node, so it keeps host network, host PID and
        // read-only host /proc, /sys and / mounts (the chart's defaults), on every node.
        "prometheus-node-exporter": {
            tolerations: [{ operator: "Exists" }],
            resources: { requests: { cpu: "20m", memory: "32Mi" }, limits: { cpu: "200m", memory: "64Mi" } },
            securityContext: restrictedPod(65534),
            containerSecurityContext: RESTRICTED_CONTAINER,
        },
        kubeStateMetrics: { enabled: true },
        "kube-state-metrics": {
            // Lets GPU queries join a pod's requests to its app.
            metricLabelsAllowlist: ["pods=[app,app.kubernetes.io/name]"],
            selfMonitor: { enabled: true },
            resources: { requests: { cpu: "20m", memory: "64Mi" }, limits: { cpu: "100m", memory: "256Mi" } },
            securityContext: { enabled: true, ...restrictedPod(65534) },
            containerSecurityContext: RESTRICTED_CONTAINER,
        },
    };
    // Alertmanager's configuration holds receivers' credentials: it lives in a Secret the Alerting
    // component creates, never in these values.
    return mergeValues(values, alertmanagerValues());
}

/** kube-prometheus-stack: Prometheus, Alertmanager, the operator, node-exporter and kube-state-metrics. */
export class Prometheus extends pulumi.ComponentResource {
    readonly release: k8s.helm.v3.Release;
    /** Labels of the Prometheus and Alertmanager pods, for NetworkPolicies. */
    readonly prometheusPods: PodLabels;
    readonly alertmanagerPods: PodLabels;
    readonly prometheusUrl: pulumi.Output<string>;
    /** Where Tempo's metrics generator writes (Prometheus' remote-write receiver is on). */
    readonly remoteWriteUrl: pulumi.Output<string>;
    readonly alertmanagerUrl: pulumi.Output<string>;
    /** The Secret Alertmanager reads its configuration from; the Alerting component creates it. */
    readonly alertmanagerConfigSecret: string;

    constructor(name: string, args: PrometheusArgs, opts?: pulumi.ComponentResourceOptions) {
        super(componentType("Prometheus"), name, {}, opts);
        const releaseName = args.releaseName ?? DEFAULT_RELEASE_NAMES.prometheus;
        this.prometheusPods = prometheusPods(releaseName);
        this.alertmanagerPods = alertmanagerPods(releaseName);
        this.alertmanagerConfigSecret = alertmanagerConfigSecretName(releaseName);
        this.release = installSubsystem(this, name, args, {
            chart: CHARTS.kubePrometheusStack,
            releaseName,
            values: prometheusValues,
        });
        this.prometheusUrl = releaseServiceUrl(this.release, PROMETHEUS_PORT, { suffix: "-prometheus" });
        this.alertmanagerUrl = releaseServiceUrl(this.release, ALERTMANAGER_PORT, { suffix: "-alertmanager" });
        this.remoteWriteUrl = releaseServiceUrl(this.release, PROMETHEUS_PORT, { suffix: "-prometheus", path: "/api/v1/write" });
        this.registerOutputs({
            prometheusUrl: this.prometheusUrl,
            alertmanagerUrl: this.alertmanagerUrl,
            remoteWriteUrl: this.remoteWriteUrl,
        });
    }
}
