import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { CHARTS } from "../config/charts";
import { parseQuantity } from "../config/formats";
import { PrometheusConfig, RemoteWriteTarget } from "../config/prometheus";
import { DASHBOARD_LABEL } from "./grafana";
import { alertmanagerConfigSecretName, alertmanagerValues } from "./alerting/alertmanagerConfig";
import { HelmValues, mergeValues, releaseServiceUrl } from "./helm";
import { disruptionBudget, spreadAffinity, topologySpread } from "./placement";
import { RESTRICTED_CONTAINER, restrictedPod } from "./podSecurity";
import { DEFAULT_RELEASE_NAMES } from "./releaseNames";
import { componentType, installSubsystem, PodLabels, SubsystemArgs, ValuesInput } from "./subsystem";

export type PrometheusArgs = SubsystemArgs<PrometheusConfig>;

export const PROMETHEUS_PORT = 9090;
export const ALERTMANAGER_PORT = 9093;
export const ALERTMANAGER_CLUSTER_PORT = 9094;
const REMOTE_WRITE_PATH = "/api/v1/write";
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

/** A byte count in Prometheus' size units, whole MB (its MB is a MiB), at least 1 (0 would turn the limit off). */
const prometheusBytes = (bytes: number) => `${Math.max(1, Math.floor(bytes / 2 ** 20))}MB`;

/**
 * Prometheus' retentionSize: the configured one, or 90% of the volume so the TSDB stops before the
 * disk is full (the write-ahead log and compaction need the rest).
 */
export function retentionSizeFor(storageSize: string, retentionSize?: string): string {
    const bytes = retentionSize === undefined ? (parseQuantity(storageSize) ?? NaN) * 0.9 : parseQuantity(retentionSize);
    if (bytes === undefined || Number.isNaN(bytes)) throw new Error(`not a quantity: ${retentionSize ?? storageSize}`);
    return prometheusBytes(bytes);
}

// The operator runs these beside Prometheus and Alertmanager (config-reloader, and
// init-config-reloader before them), sized by the operator's flags from these values. They only
// watch a few files and call /-/reload: one size for every profile.
const CONFIG_RELOADER_RESOURCES = { requests: { cpu: "10m", memory: "32Mi" }, limits: { cpu: "50m", memory: "64Mi" } };

/** The Secret the Prometheus component keeps remote-write credentials in; the Prometheus resource refers to its keys. */
export const remoteWriteSecretName = (releaseName: string) => `${releaseName}-remote-write`;

const credentialKeys = (i: number) => ({ username: `target-${i}-username`, password: `target-${i}-password`, token: `target-${i}-token` });

/** The remote-write credentials, by their key in the Secret: the Secret's whole content. */
export function remoteWriteCredentials(targets: RemoteWriteTarget[]): Record<string, string> {
    return Object.fromEntries(
        targets.flatMap((target, i) => {
            const keys = credentialKeys(i);
            return [
                ...(target.basicAuth
                    ? [
                          [keys.username, target.basicAuth.username],
                          [keys.password, target.basicAuth.password],
                      ]
                    : []),
                ...(target.bearerToken ? [[keys.token, target.bearerToken]] : []),
            ];
        }),
    );
}

/** prometheusSpec.remoteWrite: each target, its credentials as references to keys of `secretName`, never the values. */
export function remoteWriteValues(targets: RemoteWriteTarget[], secretName: string): HelmValues[] {
    return targets.map((target, i) => {
        const keys = credentialKeys(i);
        const ref = (key: string) => ({ name: secretName, key });
        const { capacity, maxShards, maxSamplesPerSend } = target.queue ?? {};
        const queueConfig = Object.fromEntries(
            Object.entries({ capacity, maxShards, maxSamplesPerSend }).filter(([, value]) => value !== undefined),
        );
        return {
            url: target.url,
            ...(target.name ? { name: target.name } : {}),
            ...(Object.keys(target.headers).length ? { headers: target.headers } : {}),
            ...(target.basicAuth ? { basicAuth: { username: ref(keys.username), password: ref(keys.password) } } : {}),
            ...(target.bearerToken ? { authorization: { type: "Bearer", credentials: ref(keys.token) } } : {}),
            ...(Object.keys(queueConfig).length ? { queueConfig } : {}),
        };
    });
}

/**
 * kube-prometheus-stack renders its PodDisruptionBudgets with the chart's `minAvailable: 1`, which
 * a Helm release cannot unset (null overrides are dropped, pulumi/pulumi-kubernetes#3811): "one
 * pod at a time" is written as all pods but one.
 */
const podDisruptionBudget = (replicas: number, pods: number) =>
    disruptionBudget(replicas) ? { enabled: true, minAvailable: pods - 1 } : { enabled: false };

/**
 * Replicas on different nodes and zones. The chart's own anti-affinity preset is off: ours selects
 * the pods by the labels the operator gives them, like the rest of the stack's workloads.
 */
const placement = (pods: PodLabels) => ({
    podAntiAffinity: "",
    affinity: spreadAffinity(pods),
    topologySpreadConstraints: topologySpread(pods),
});

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
    const { replicas, shards, alertmanagerReplicas } = settings;
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
            // Replicas gossip silences and the notification log (port 9094), so one notification
            // goes out while any replica is up; Prometheus sends every alert to each of them.
            podDisruptionBudget: podDisruptionBudget(alertmanagerReplicas, alertmanagerReplicas),
            alertmanagerSpec: {
                replicas: alertmanagerReplicas,
                resources: settings.alertmanagerResources,
                storage: volumeClaim(settings.alertmanagerStorageSize, storageClass),
                securityContext: restrictedPod(1000),
                ...placement(alertmanagerPods(releaseName)),
            },
        },
        prometheus: {
            enabled: true,
            // HA replicas each hold their own copy, with small gaps where one restarted: a client
            // that stays on one replica sees consistent graphs instead of alternating between them.
            service: { sessionAffinity: "ClientIP" },
            // `<release>-prometheus-<i>`: each replica's own address, for writers that must reach
            // every replica (remoteWriteUrls).
            servicePerReplica: { enabled: true, port: PROMETHEUS_PORT },
            podDisruptionBudget: podDisruptionBudget(replicas, replicas * shards),
            prometheusSpec: {
                replicas,
                shards,
                scrapeInterval: settings.scrapeInterval,
                evaluationInterval: settings.scrapeInterval,
                retention: settings.retention,
                retentionSize: retentionSizeFor(settings.storageSize, settings.retentionSize),
                // Tempo's metrics generator writes service graphs and span metrics here.
                enableRemoteWriteReceiver: true,
                enableFeatures: ["exemplar-storage"],
                // The operator adds prometheus and prometheus_replica (the long-term store's
                // deduplication label) to these.
                externalLabels: settings.externalLabels,
                remoteWrite: remoteWriteValues(settings.remoteWrite, remoteWriteSecretName(releaseName)),
                ...selectors,
                resources: settings.resources,
                storageSpec: volumeClaim(settings.storageSize, storageClass),
                securityContext: restrictedPod(1000),
                ...placement(prometheusPods(releaseName)),
            },
        },
        prometheusOperator: {
            enabled: true,
            // The webhook's certificate comes from a certgen Job (or cert-manager); without the
            // webhook the operator still skips invalid rules, and nothing waits on a Job.
            admissionWebhooks: { enabled: false, patch: { enabled: false }, certManager: { enabled: false } },
            tls: { enabled: false },
            resources: settings.operatorResources,
            prometheusConfigReloader: { resources: CONFIG_RELOADER_RESOURCES },
            securityContext: restrictedPod(65534),
            containerSecurityContext: RESTRICTED_CONTAINER,
        },
        nodeExporter: { enabled: true, operatingSystems: { aix: { enabled: false }, darwin: { enabled: false } } },
        // Exception: node-exporter reports the node, so it keeps host network, host PID and
        // read-only host /proc, /sys and / mounts (the chart's defaults), on every node.
        "prometheus-node-exporter": {
            tolerations: [{ operator: "Exists" }],
            resources: settings.nodeExporterResources,
            securityContext: restrictedPod(65534),
            containerSecurityContext: RESTRICTED_CONTAINER,
        },
        kubeStateMetrics: { enabled: true },
        "kube-state-metrics": {
            // Lets GPU queries join a pod's requests to its app.
            metricLabelsAllowlist: ["pods=[app,app.kubernetes.io/name]"],
            selfMonitor: { enabled: true },
            resources: settings.kubeStateMetricsResources,
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
    /** Prometheus' remote-write receiver behind its Service: each batch lands on one replica. */
    readonly remoteWriteUrl: pulumi.Output<string>;
    /**
     * The remote-write receiver of every replica (of the first shard). A writer whose series no
     * scrape produces (Tempo's metrics generator) writes to each, so every replica, and the
     * long-term store deduplicating them, holds all of them.
     */
    readonly remoteWriteUrls: pulumi.Output<string[]>;
    readonly alertmanagerUrl: pulumi.Output<string>;
    /** The Secret Alertmanager reads its configuration from; the Alerting component creates it. */
    readonly alertmanagerConfigSecret: string;
    /** Remote-write credentials, when a target has any: the Prometheus resource refers to its keys. */
    readonly remoteWriteSecret?: k8s.core.v1.Secret;

    constructor(name: string, args: PrometheusArgs, opts?: pulumi.ComponentResourceOptions) {
        super(componentType("Prometheus"), name, {}, opts);
        const releaseName = args.releaseName ?? DEFAULT_RELEASE_NAMES.prometheus;
        this.prometheusPods = prometheusPods(releaseName);
        this.alertmanagerPods = alertmanagerPods(releaseName);
        this.alertmanagerConfigSecret = alertmanagerConfigSecretName(releaseName);
        const credentials = remoteWriteCredentials(args.settings.remoteWrite);
        if (Object.keys(credentials).length) {
            this.remoteWriteSecret = new k8s.core.v1.Secret(
                `${name}-remote-write`,
                {
                    metadata: { name: remoteWriteSecretName(releaseName), namespace: args.namespace },
                    type: "Opaque",
                    stringData: pulumi.secret(credentials),
                },
                { parent: this },
            );
        }
        this.release = installSubsystem(this, name, args, {
            chart: CHARTS.kubePrometheusStack,
            releaseName,
            values: prometheusValues,
            dependsOn: this.remoteWriteSecret ? [this.remoteWriteSecret] : [],
        });
        this.prometheusUrl = releaseServiceUrl(this.release, PROMETHEUS_PORT, { suffix: "-prometheus" });
        this.alertmanagerUrl = releaseServiceUrl(this.release, ALERTMANAGER_PORT, { suffix: "-alertmanager" });
        this.remoteWriteUrl = releaseServiceUrl(this.release, PROMETHEUS_PORT, { suffix: "-prometheus", path: REMOTE_WRITE_PATH });
        this.remoteWriteUrls = pulumi.all(
            Array.from({ length: args.settings.replicas }, (_, i) =>
                releaseServiceUrl(this.release, PROMETHEUS_PORT, { suffix: `-prometheus-${i}`, path: REMOTE_WRITE_PATH }),
            ),
        );
        this.registerOutputs({
            prometheusUrl: this.prometheusUrl,
            alertmanagerUrl: this.alertmanagerUrl,
            remoteWriteUrl: this.remoteWriteUrl,
            remoteWriteUrls: this.remoteWriteUrls,
        });
    }
}
