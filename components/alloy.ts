import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { CHARTS } from "../config/charts";
import { LogsConfig } from "../config/logs";
import { HelmValues } from "./helm";
import { RESTRICTED_CONTAINER } from "./podSecurity";
import { LOG_SHIPPER_RELEASE_NAMES } from "./releaseNames";
import { chartPods, componentType, installSubsystem, PodLabels, SubsystemArgs, ValuesInput } from "./subsystem";

export interface AlloyArgs extends SubsystemArgs<LogsConfig> {
    /** Loki's push URL. */
    lokiPushUrl: pulumi.Input<string>;
    /** Loki tenant to push as, when Loki is multi-tenant. */
    lokiTenant?: string;
}

/** Labels of Alloy's pods, as the chart's Service selects them (templates/_helpers.tpl alloy.selectorLabels). */
export const alloyPods = (releaseName: string) => chartPods(CHARTS.alloy, releaseName);

const POD_LOGS_DIR = "/var/log/pods";
// The image's own data directory; Alloy keeps every component's state under it, loki.source.file's
// read positions included (<storage path>/loki.source.file.pod_logs/positions.yml).
const STORAGE_PATH = "/var/lib/alloy/data";
// The same image and sizes as Prometheus' config reloader (components/prometheus.ts): it only
// watches the mounted ConfigMap and calls Alloy's /-/reload.
const CONFIG_RELOADER_RESOURCES = { requests: { cpu: "10m", memory: "32Mi" }, limits: { cpu: "50m", memory: "64Mi" } };
const POD_READER = { apiGroups: [""], resources: ["pods"], verbs: ["get", "list", "watch"] };
// The config reloader image's own user (the chart's default): it needs no root to read a ConfigMap.
const NOBODY = 65534;

/**
 * Alloy's configuration: the pods of Alloy's own node, labelled as the Promtail chart's
 * kubernetes-pods job labels them here (namespace, pod, container, app, instance, component, node,
 * job="<namespace>/<app>", plus filename and the CRI stream), read from /var/log/pods and pushed
 * to Loki. The chart passes it through `tpl`, so it must hold no `{{`.
 */
export function alloyConfig(lokiPushUrl: string, lokiTenant?: string): string {
    // JSON string literals are valid Alloy string literals (the same escapes).
    const text = JSON.stringify;
    return `// Pods of this node only: their log files are the ones under ${POD_LOGS_DIR} here.
discovery.kubernetes "pods" {
	role = "pod"

	// The chart sets HOSTNAME to the pod's spec.nodeName.
	selectors {
		role  = "pod"
		field = "spec.nodeName=" + sys.env("HOSTNAME")
	}
}

// The Promtail chart's kubernetes-pods relabeling (charts/promtail values.yaml config.snippets),
// in the same order; every rule replaces, the default action.
discovery.relabel "pod_logs" {
	targets = discovery.kubernetes.pods.targets

	// app: app.kubernetes.io/name, else the app label, else the controller's name without its
	// pod-template hash, else the pod's name.
	rule {
		source_labels = ["__meta_kubernetes_pod_controller_name"]
		regex         = "([0-9a-z-.]+?)(-[0-9a-f]{8,10})?"
		target_label  = "__tmp_controller_name"
	}

	rule {
		source_labels = ["__meta_kubernetes_pod_label_app_kubernetes_io_name", "__meta_kubernetes_pod_label_app", "__tmp_controller_name", "__meta_kubernetes_pod_name"]
		regex         = "^;*([^;]+)(;.*)?$"
		target_label  = "app"
	}

	rule {
		source_labels = ["__meta_kubernetes_pod_label_app_kubernetes_io_instance", "__meta_kubernetes_pod_label_instance"]
		regex         = "^;*([^;]+)(;.*)?$"
		target_label  = "instance"
	}

	rule {
		source_labels = ["__meta_kubernetes_pod_label_app_kubernetes_io_component", "__meta_kubernetes_pod_label_component"]
		regex         = "^;*([^;]+)(;.*)?$"
		target_label  = "component"
	}

	// Promtail's chart calls it node_name; this stack renames it node, the name people query by.
	rule {
		source_labels = ["__meta_kubernetes_pod_node_name"]
		target_label  = "node"
	}

	rule {
		source_labels = ["__meta_kubernetes_namespace"]
		target_label  = "namespace"
	}

	rule {
		source_labels = ["namespace", "app"]
		separator     = "/"
		target_label  = "job"
	}

	rule {
		source_labels = ["__meta_kubernetes_pod_name"]
		target_label  = "pod"
	}

	rule {
		source_labels = ["__meta_kubernetes_pod_container_name"]
		target_label  = "container"
	}

	// The kubelet writes ${POD_LOGS_DIR}/<namespace>_<pod>_<uid>/<container>/<restart>.log ...
	rule {
		source_labels = ["__meta_kubernetes_pod_uid", "__meta_kubernetes_pod_container_name"]
		separator     = "/"
		target_label  = "__path__"
		replacement   = "${POD_LOGS_DIR}/*$1/*.log"
	}

	// ... where a static pod's uid is its config hash, not its mirror pod's uid.
	rule {
		source_labels = ["__meta_kubernetes_pod_annotationpresent_kubernetes_io_config_hash", "__meta_kubernetes_pod_annotation_kubernetes_io_config_hash", "__meta_kubernetes_pod_container_name"]
		separator     = "/"
		regex         = "true/(.*)"
		target_label  = "__path__"
		replacement   = "${POD_LOGS_DIR}/*$1/*.log"
	}
}

local.file_match "pod_logs" {
	path_targets = discovery.relabel.pod_logs.output
}

// Labels starting with __ are dropped here; each line gets the filename label.
loki.source.file "pod_logs" {
	targets    = local.file_match.pod_logs.targets
	forward_to = [loki.process.pod_logs.receiver]
}

loki.process "pod_logs" {
	forward_to = [loki.write.loki.receiver]

	// Container runtimes write CRI lines: the line's own time, its stream (stdout or stderr) as
	// a label, and partial lines joined.
	stage.cri { }
}

loki.write "loki" {
	endpoint {
		url = ${text(lokiPushUrl)}
${lokiTenant ? `\n\t\t// Sent as X-Scope-OrgID, as a multi-tenant Loki requires.\n\t\ttenant_id = ${text(lokiTenant)}\n` : ""}
		// Promtail's settings in this stack: retries with backoff for about 8.5 minutes of Loki
		// being away before a batch is dropped.
		min_backoff_period  = "500ms"
		max_backoff_period  = "5m"
		max_backoff_retries = 10
		remote_timeout      = "10s"
	}
}
`;
}

/** Helm values of the Alloy chart: a DaemonSet on every node pushing pod logs to Loki. */
export function alloyValues(
    { settings, serviceMonitors, releaseName }: ValuesInput<LogsConfig>,
    lokiPushUrl: string,
    lokiTenant?: string,
): HelmValues {
    return {
        fullnameOverride: releaseName,
        // The PodLogs CRD serves loki.source.podlogs, which this configuration does not use.
        crds: { create: false },
        alloy: {
            configMap: { content: alloyConfig(lokiPushUrl, lokiTenant) },
            storagePath: STORAGE_PATH,
            // No usage reports to Grafana Labs from inside the cluster.
            enableReporting: false,
            resources: settings.resources,
            securityContext: RESTRICTED_CONTAINER,
            mounts: {
                extra: [
                    { name: "pod-logs", mountPath: POD_LOGS_DIR, readOnly: true },
                    { name: "storage", mountPath: STORAGE_PATH },
                ],
            },
        },
        configReloader: {
            resources: CONFIG_RELOADER_RESOURCES,
            securityContext: { ...RESTRICTED_CONTAINER, runAsNonRoot: true, runAsUser: NOBODY, runAsGroup: NOBODY },
        },
        // Exception: pod log files on the host are root-owned (0640); root reads them with no capabilities.
        global: { podSecurityContext: { runAsNonRoot: false, runAsUser: 0, runAsGroup: 0, seccompProfile: { type: "RuntimeDefault" } } },
        controller: {
            // One per node, reading that node's files: discovery is limited to its pods.
            type: "daemonset",
            // Every node, whatever its taints: GPU nodes (nvidia.com/gpu) and control planes have pods too.
            tolerations: [{ operator: "Exists" }],
            volumes: {
                extra: [
                    { name: "pod-logs", hostPath: { path: POD_LOGS_DIR } },
                    // On the host, so a restarted pod resumes where it stopped; one directory per
                    // release, as the release name is unique in the cluster (its ClusterRole is).
                    { name: "storage", hostPath: { path: `/var/lib/${releaseName}`, type: "DirectoryOrCreate" } },
                ],
            },
        },
        // discovery.kubernetes reads pods, nothing else; the chart's default rules would also let it
        // read every Secret and ConfigMap in the cluster. The ClusterRole template concatenates both
        // lists and breaks on an empty one, so the one rule is in both (a repeated rule is harmless).
        rbac: { rules: [POD_READER], clusterRules: [POD_READER] },
        serviceMonitor: { enabled: serviceMonitors },
    };
}

/** Grafana Alloy as the log shipper: reads every pod's logs on every node and pushes them to Loki. */
export class Alloy extends pulumi.ComponentResource {
    readonly release: k8s.helm.v3.Release;
    /** Labels of its pods, for NetworkPolicies. */
    readonly pods: PodLabels;

    constructor(name: string, args: AlloyArgs, opts?: pulumi.ComponentResourceOptions) {
        super(componentType("Alloy"), name, {}, opts);
        const releaseName = args.releaseName ?? LOG_SHIPPER_RELEASE_NAMES.alloy;
        this.pods = alloyPods(releaseName);
        this.release = installSubsystem(this, name, args, {
            chart: CHARTS.alloy,
            releaseName,
            values: (input) => pulumi.output(args.lokiPushUrl).apply((url) => alloyValues(input, url, args.lokiTenant)),
        });
        this.registerOutputs({});
    }
}
