// Grafana Alloy as the log shipper: the same pod logs, with the same labels, as Promtail ships in
// this stack, from every node to Loki's push URL.
import YAML from "yaml";
import { alloyConfig, alloyValues } from "../components/alloy";
import { promtailValues } from "../components/promtail";
import { CHARTS, validateStackConfig } from "../config";
import { helmReleases } from "../scripts/lib/mockEngine";
import { runUserProgram } from "./helpers/run";
import { chartFile } from "./helpers/shared";

const PUSH_URL = "http://loki.observability.svc.cluster.local:3100/loki/api/v1/push";
// Production without the object store, Kafka and database its Loki, Tempo and Grafana need:
// this subsystem's production defaults apply all the same.
const SINGLE_PODS = { loki: { mode: "monolithic" }, tempo: { mode: "monolithic" }, grafana: { replicas: 1 } };
const settings = (logs: Record<string, unknown> = {}) => validateStackConfig({ logs: { shipper: "alloy", ...logs } }).logs;
const values = ({ logs = {}, serviceMonitors = true, releaseName = "alloy" } = {}): any =>
    alloyValues({ settings: settings(logs), serviceMonitors, releaseName }, PUSH_URL);

describe("Alloy values", () => {
    it("run a DaemonSet on every node, whatever its taints (GPU nodes included)", () => {
        const { controller } = values();
        expect(controller.type).toBe("daemonset");
        expect(controller.tolerations).toEqual([{ operator: "Exists" }]);
    });

    it("read the node's pod log files through a read-only hostPath", () => {
        const v = values();
        expect(v.controller.volumes.extra).toContainEqual({ name: "pod-logs", hostPath: { path: "/var/log/pods" } });
        expect(v.alloy.mounts.extra).toContainEqual({ name: "pod-logs", mountPath: "/var/log/pods", readOnly: true });
    });

    it("keep read positions on the host across pod restarts, apart for each release", () => {
        const v = values({ releaseName: "logs-alloy" });
        expect(v.controller.volumes.extra).toContainEqual({
            name: "storage",
            hostPath: { path: "/var/lib/logs-alloy", type: "DirectoryOrCreate" },
        });
        expect(v.alloy.mounts.extra).toContainEqual({ name: "storage", mountPath: v.alloy.storagePath });
    });

    it("read host logs as root with no capabilities and a read-only root filesystem, the reloader as nobody", () => {
        const v = values();
        const restricted = { readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } };
        expect(v.global.podSecurityContext).toMatchObject({ runAsUser: 0, seccompProfile: { type: "RuntimeDefault" } });
        expect(v.alloy.securityContext).toMatchObject(restricted);
        expect(v.configReloader.securityContext).toMatchObject({ ...restricted, runAsNonRoot: true, runAsUser: 65534 });
    });

    it("size Alloy from config and its config reloader explicitly", () => {
        const v = values({ logs: { resources: { limits: { memory: "512Mi" } } } });
        expect(v.alloy.resources.limits.memory).toBe("512Mi");
        expect(v.configReloader.resources).toEqual({ requests: { cpu: "10m", memory: "32Mi" }, limits: { cpu: "50m", memory: "64Mi" } });
    });

    it("size Alloy per profile, the production one for a busy GPU node's logs", () => {
        const sized = (profile: string) => {
            const logs = validateStackConfig({ profile, ...SINGLE_PODS, logs: { shipper: "alloy" } }).logs;
            return (alloyValues({ settings: logs, serviceMonitors: true, releaseName: "alloy" }, PUSH_URL) as any).alloy.resources;
        };
        expect(sized("dev")).toEqual({ requests: { cpu: "50m", memory: "64Mi" }, limits: { cpu: "200m", memory: "256Mi" } });
        expect(sized("production")).toEqual({ requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "1", memory: "512Mi" } });
    });

    it("may read pods and nothing else in the cluster", () => {
        const pods = { apiGroups: [""], resources: ["pods"], verbs: ["get", "list", "watch"] };
        expect(values().rbac).toEqual({ rules: [pods], clusterRules: [pods] });
    });

    it("install no CRD and send no usage reports", () => {
        const v = values();
        expect(v.crds.create).toBe(false);
        expect(v.alloy.enableReporting).toBe(false);
    });

    it("render a ServiceMonitor only when prometheus-operator's CRDs are installed", () => {
        expect(values().serviceMonitor.enabled).toBe(true);
        expect(values({ serviceMonitors: false }).serviceMonitor.enabled).toBe(false);
    });

    it("name every object after the release", () => {
        expect(values({ releaseName: "logs-alloy" }).fullnameOverride).toBe("logs-alloy");
    });

    it("carry the Alloy configuration in the chart's ConfigMap", () => {
        expect(values().alloy.configMap.content).toBe(alloyConfig(PUSH_URL));
    });
});

describe("the Alloy configuration", () => {
    it("pushes to the given Loki push URL, where render-check looks for it", () => {
        // ../shared/tools/render-check/src/checks.mjs, check logs->loki.
        const [, block] = alloyConfig(PUSH_URL).split(/loki\.write\s+"[^"]*"\s*\{/);
        expect(/url\s*=\s*"([^"]+)"/.exec(block)?.[1]).toBe(PUSH_URL);
    });

    it("pushes as the Loki tenant when one is given, and as none otherwise", () => {
        expect(alloyConfig(PUSH_URL, "tokkio")).toMatch(/^\t\ttenant_id = "tokkio"$/m);
        expect(alloyConfig(PUSH_URL)).not.toContain("tenant_id");
    });

    it("retries Loki with backoff as Promtail does here, about 8.5 minutes per batch", () => {
        const config = alloyConfig(PUSH_URL);
        const { backoff_config, timeout } = (
            promtailValues(
                { settings: settings(), serviceMonitors: true, releaseName: "promtail", namespace: "observability" },
                PUSH_URL,
            ) as any
        ).config.clients[0];
        expect(config).toContain(`min_backoff_period  = "${backoff_config.min_period}"`);
        expect(config).toContain(`max_backoff_period  = "${backoff_config.max_period}"`);
        expect(config).toContain(`max_backoff_retries = ${backoff_config.max_retries}`);
        expect(config).toContain(`remote_timeout      = "${timeout}"`);
    });

    it("discovers only the pods of its own node", () => {
        expect(alloyConfig(PUSH_URL)).toContain(`field = "spec.nodeName=" + sys.env("HOSTNAME")`);
    });

    it("tails the discovered files, parses CRI lines (stream label) and sends them to Loki", () => {
        const config = alloyConfig(PUSH_URL);
        expect(config).toContain("path_targets = discovery.relabel.pod_logs.output");
        expect(config).toContain("targets    = local.file_match.pod_logs.targets");
        expect(config).toContain("forward_to = [loki.process.pod_logs.receiver]");
        expect(config).toMatch(/loki\.process "pod_logs" \{\n\tforward_to = \[loki\.write\.loki\.receiver\]\n[^}]*stage\.cri \{ \}/);
    });

    it("escapes the values it writes into Alloy strings", () => {
        expect(alloyConfig(PUSH_URL, 'team "a"\\b')).toContain(`tenant_id = "team \\"a\\"\\\\b"`);
    });
});

// Prometheus relabeling (replace and labeldrop), as Promtail and Alloy both apply it.
type Labels = Record<string, string>;
interface RelabelRule {
    action?: string;
    source_labels?: string[];
    separator?: string;
    regex?: string;
    target_label?: string;
    replacement?: string;
}
function relabel(target: Labels, rules: RelabelRule[]): Labels {
    const labels = { ...target };
    for (const {
        action = "replace",
        source_labels = [],
        separator = ";",
        regex = "(.*)",
        target_label = "",
        replacement = "$1",
    } of rules) {
        const anchored = new RegExp(`^(?:${regex})$`);
        if (action === "labeldrop") {
            for (const name of Object.keys(labels)) if (anchored.test(name)) delete labels[name];
            continue;
        }
        const match = anchored.exec(source_labels.map((name) => labels[name] ?? "").join(separator));
        if (!match) continue;
        const value = replacement.replace(/\$(\d+)/g, (_, group) => match[Number(group)] ?? "");
        if (value) labels[target_label] = value;
        else delete labels[target_label];
    }
    return labels;
}
/** What reaches Loki (labels without the __ prefix) and which files are read. */
const shipped = (labels: Labels) =>
    Object.fromEntries(Object.entries(labels).filter(([name]) => name === "__path__" || !name.startsWith("__")));

/** The rules of the configuration's discovery.relabel block, read back from its text. */
function alloyRules(config: string): RelabelRule[] {
    const block = /^discovery\.relabel "pod_logs" \{\n([\s\S]*?)\n\}$/m.exec(config)?.[1] ?? "";
    return [...block.matchAll(/^\trule \{\n([\s\S]*?)\n\t\}$/gm)].map(([, body]) =>
        Object.fromEntries([...body.matchAll(/^\t\t(\w+)\s*=\s*(.+)$/gm)].map(([, key, value]) => [key, JSON.parse(value)])),
    );
}

/** Promtail's kubernetes-pods job as the pinned chart renders it, with this stack's extra rules. */
function promtailRules(): RelabelRule[] {
    const chartValues = YAML.parse(chartFile(CHARTS.promtail, "values.yaml"));
    const { scrapeConfigs, common } = chartValues.config.snippets;
    // The job's own rules, less what its template adds: the scrape_job rule (addScrapeJobLabel is
    // off), then the common snippet and the extra rules, appended below in the template's order.
    const untemplated = scrapeConfigs
        .replace(/\{\{- if [\s\S]*?\{\{- end \}\}/g, "")
        .split("\n")
        .filter((line: string) => !line.includes("{{"))
        .join("\n");
    const [job] = YAML.parse(untemplated);
    const ours = promtailValues(
        { settings: settings(), serviceMonitors: true, releaseName: "promtail", namespace: "observability" },
        PUSH_URL,
    ) as any;
    return [...job.relabel_configs, ...common, ...ours.config.snippets.extraRelabelConfigs];
}

// Pods of a Tokkio cluster as discovery (role pod) describes them.
const POD_UID = "6f1c2a4e-93b1-4d0e-9d6a-3c1b2f7e8a90";
const PODS: [string, Labels, Labels][] = [
    [
        "a GPU pod with the recommended app labels",
        {
            __meta_kubernetes_namespace: "tokkio",
            __meta_kubernetes_pod_name: "riva-asr-6f8d9c7b5d-x2x7k",
            __meta_kubernetes_pod_uid: POD_UID,
            __meta_kubernetes_pod_container_name: "riva-speech",
            __meta_kubernetes_pod_node_name: "gpu-node-1",
            __meta_kubernetes_pod_controller_name: "riva-asr-6f8d9c7b5d",
            __meta_kubernetes_pod_label_app_kubernetes_io_name: "riva-asr",
            __meta_kubernetes_pod_label_app_kubernetes_io_instance: "tokkio",
            __meta_kubernetes_pod_label_app_kubernetes_io_component: "asr",
        },
        {
            namespace: "tokkio",
            pod: "riva-asr-6f8d9c7b5d-x2x7k",
            container: "riva-speech",
            app: "riva-asr",
            instance: "tokkio",
            component: "asr",
            node: "gpu-node-1",
            job: "tokkio/riva-asr",
            __path__: `/var/log/pods/*${POD_UID}/riva-speech/*.log`,
        },
    ],
    [
        "a pod with only an app label",
        {
            __meta_kubernetes_namespace: "tokkio",
            __meta_kubernetes_pod_name: "audio2face-0",
            __meta_kubernetes_pod_uid: POD_UID,
            __meta_kubernetes_pod_container_name: "a2f",
            __meta_kubernetes_pod_node_name: "gpu-node-2",
            __meta_kubernetes_pod_controller_name: "audio2face",
            __meta_kubernetes_pod_label_app: "a2f",
        },
        {
            namespace: "tokkio",
            pod: "audio2face-0",
            container: "a2f",
            app: "a2f",
            node: "gpu-node-2",
            job: "tokkio/a2f",
            __path__: `/var/log/pods/*${POD_UID}/a2f/*.log`,
        },
    ],
    [
        "an unlabelled pod, named after its ReplicaSet without the hash",
        {
            __meta_kubernetes_namespace: "llm",
            __meta_kubernetes_pod_name: "llm-nim-7c9d8f6b5d-q8r2t",
            __meta_kubernetes_pod_uid: POD_UID,
            __meta_kubernetes_pod_container_name: "nim",
            __meta_kubernetes_pod_node_name: "gpu-node-1",
            __meta_kubernetes_pod_controller_name: "llm-nim-7c9d8f6b5d",
        },
        {
            namespace: "llm",
            pod: "llm-nim-7c9d8f6b5d-q8r2t",
            container: "nim",
            app: "llm-nim",
            node: "gpu-node-1",
            job: "llm/llm-nim",
            __path__: `/var/log/pods/*${POD_UID}/nim/*.log`,
        },
    ],
    [
        "a static control-plane pod, whose log directory is named by its config hash",
        {
            __meta_kubernetes_namespace: "kube-system",
            __meta_kubernetes_pod_name: "kube-apiserver-cp-1",
            __meta_kubernetes_pod_uid: POD_UID,
            __meta_kubernetes_pod_container_name: "kube-apiserver",
            __meta_kubernetes_pod_node_name: "cp-1",
            __meta_kubernetes_pod_controller_name: "cp-1",
            __meta_kubernetes_pod_label_component: "kube-apiserver",
            __meta_kubernetes_pod_annotationpresent_kubernetes_io_config_hash: "true",
            __meta_kubernetes_pod_annotation_kubernetes_io_config_hash: "4b8e0f5c1d2a",
        },
        {
            namespace: "kube-system",
            pod: "kube-apiserver-cp-1",
            container: "kube-apiserver",
            app: "cp-1",
            component: "kube-apiserver",
            node: "cp-1",
            job: "kube-system/cp-1",
            __path__: "/var/log/pods/*4b8e0f5c1d2a/kube-apiserver/*.log",
        },
    ],
];

describe("the labels of a pod's log lines", () => {
    const rules = alloyRules(alloyConfig(PUSH_URL));

    it.each(PODS)(
        "are namespace, pod, container, app, node and job (instance and component where labelled) for %s",
        (_pod, target, expected) => {
            expect(shipped(relabel(target, rules))).toEqual(expected);
        },
    );

    it.each(PODS)("are what Promtail gives %s in this stack", (_pod, target) => {
        expect(shipped(relabel(target, rules))).toEqual(shipped(relabel(target, promtailRules())));
    });
});

describe("the Alloy component", () => {
    it("installs the pinned alloy chart as release alloy, configured to push to the Loki URL it is given", async () => {
        const run = await runUserProgram(() => {
            // Loaded with the program's own copy of the components, as the helper loads them.
            const { Alloy } = require("../components/alloy") as typeof import("../components/alloy");
            const alloy = new Alloy("logs", {
                namespace: "observability",
                settings: settings(),
                lokiPushUrl: PUSH_URL,
                lokiTenant: "tokkio",
            });
            return { pods: alloy.pods };
        });
        expect(run.error).toBeUndefined();
        const [release] = helmReleases(run);
        expect(release.inputs).toMatchObject({
            name: "alloy",
            chart: "alloy",
            version: "1.11.1",
            repositoryOpts: { repo: "https://grafana.github.io/helm-charts" },
            namespace: "observability",
        });
        expect(release.inputs.values.alloy.configMap.content).toBe(alloyConfig(PUSH_URL, "tokkio"));
        // No prometheus-operator CRDs were given, so no ServiceMonitor.
        expect(release.inputs.values.serviceMonitor.enabled).toBe(false);
        expect(run.outputs.pods).toEqual({ "app.kubernetes.io/name": "alloy", "app.kubernetes.io/instance": "alloy" });
    });

    it("owns its release", async () => {
        const run = await runUserProgram(() => {
            const { Alloy } = require("../components/alloy") as typeof import("../components/alloy");
            new Alloy("logs", { namespace: "observability", settings: settings(), lokiPushUrl: PUSH_URL });
            return {};
        });
        const component = run.resources.find((r) => r.type === "gpu-observability:index:Alloy");
        expect(helmReleases(run)[0].parent).toBe(component?.urn);
    });
});
