import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { CHARTS } from "../config/charts";
import { LogsConfig } from "../config/logs";
import { HelmValues } from "./helm";
import { RESTRICTED_CONTAINER } from "./podSecurity";
import { LOG_SHIPPER_RELEASE_NAMES } from "./releaseNames";
import { chartPods, componentType, installSubsystem, PodLabels, SubsystemArgs, ValuesInput } from "./subsystem";

export interface PromtailArgs extends SubsystemArgs<LogsConfig> {
    /** Loki's push URL. */
    lokiPushUrl: pulumi.Input<string>;
    /** Loki tenant to push as, when Loki is multi-tenant. */
    lokiTenant?: string;
}

// Where Promtail keeps its read positions, in the container: a hostPath of the node's persistent
// disk. The chart's default is /run/promtail, but /run is a tmpfs on most nodes (systemd mounts it
// so), emptied by a reboot; Promtail would then read every log file still on the node from the
// start and send its lines again. Alloy's state lives under /var/lib the same way (components/alloy.ts).
const POSITIONS_DIR = "/var/lib/promtail";
// The chart's other default volumes (values.yaml defaultVolumes, defaultVolumeMounts), kept: pod
// logs, and Docker's container logs they link to on Docker nodes.
const CHART_LOG_VOLUMES = [
    { name: "containers", hostPath: { path: "/var/lib/docker/containers" }, mountPath: "/var/lib/docker/containers" },
    { name: "pods", hostPath: { path: "/var/log/pods" }, mountPath: "/var/log/pods" },
];

/** Labels of Promtail's pods, as the chart's Service selects them. */
export const promtailPods = (releaseName: string) => chartPods(CHARTS.promtail, releaseName);

/** Helm values of the Promtail chart: a DaemonSet on every node pushing pod logs to Loki. */
export function promtailValues(
    { settings, serviceMonitors, releaseName, namespace }: ValuesInput<LogsConfig> & { namespace: string },
    lokiPushUrl: string,
    lokiTenant?: string,
): HelmValues {
    return {
        fullnameOverride: releaseName,
        daemonset: { enabled: true },
        deployment: { enabled: false },
        // Every node, whatever its taints: GPU nodes (nvidia.com/gpu) and control planes have pods too.
        tolerations: [{ operator: "Exists" }],
        // Exception: pod log files on the host are root-owned (0640); root reads them with no capabilities.
        podSecurityContext: { runAsNonRoot: false, runAsUser: 0, runAsGroup: 0, seccompProfile: { type: "RuntimeDefault" } },
        containerSecurityContext: { ...RESTRICTED_CONTAINER, privileged: false },
        resources: settings.resources,
        // Lists replace the chart's whole: its `run` volume (/run/promtail) gives way to the positions
        // directory on the host, one per release (the name is unique in the cluster, as Alloy's).
        defaultVolumes: [
            { name: "positions", hostPath: { path: `/var/lib/${releaseName}`, type: "DirectoryOrCreate" } },
            ...CHART_LOG_VOLUMES.map(({ name, hostPath }) => ({ name, hostPath })),
        ],
        defaultVolumeMounts: [
            { name: "positions", mountPath: POSITIONS_DIR },
            ...CHART_LOG_VOLUMES.map(({ name, mountPath }) => ({ name, mountPath, readOnly: true })),
        ],
        // The template leaves the monitor's namespace empty unless it is set.
        serviceMonitor: { enabled: serviceMonitors, namespace },
        config: {
            clients: [
                {
                    url: lokiPushUrl,
                    // Promtail sends it as X-Scope-OrgID, as a multi-tenant Loki requires.
                    ...(lokiTenant ? { tenant_id: lokiTenant } : {}),
                    // Retries with backoff for about 8.5 minutes of Loki being away before a batch is dropped.
                    backoff_config: { min_period: "500ms", max_period: "5m", max_retries: 10 },
                    timeout: "10s",
                },
            ],
            // On the host, so a restarted pod, or a rebooted node, resumes where it stopped.
            positions: { filename: `${POSITIONS_DIR}/positions.yaml` },
            snippets: {
                // The chart's pod job labels the node `node_name`; people query by `node`.
                extraRelabelConfigs: [
                    { action: "replace", source_labels: ["__meta_kubernetes_pod_node_name"], target_label: "node" },
                    { action: "labeldrop", regex: "node_name" },
                ],
            },
        },
    };
}

/** Promtail, the log shipper: reads every pod's logs on every node and pushes them to Loki. */
export class Promtail extends pulumi.ComponentResource {
    readonly release: k8s.helm.v3.Release;
    /** Labels of its pods, for NetworkPolicies. */
    readonly pods: PodLabels;

    constructor(name: string, args: PromtailArgs, opts?: pulumi.ComponentResourceOptions) {
        super(componentType("Promtail"), name, {}, opts);
        const releaseName = args.releaseName ?? LOG_SHIPPER_RELEASE_NAMES.promtail;
        this.pods = promtailPods(releaseName);
        this.release = installSubsystem(this, name, args, {
            chart: CHARTS.promtail,
            releaseName,
            values: (input) =>
                pulumi
                    .all([args.namespace, args.lokiPushUrl])
                    .apply(([namespace, url]) => promtailValues({ ...input, namespace }, url, args.lokiTenant)),
        });
        this.registerOutputs({});
    }
}
