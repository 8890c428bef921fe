// The stack's alert rules, unit-tested the way Prometheus projects test theirs: `promtool test rules`
// on series shaped like the real exporters' (as this stack's ServiceMonitors scrape them), showing
// each alert fire when it should and stay silent when it should not.
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parser } from "@prometheus-io/lezer-promql";
import YAML from "yaml";
import { alertRuleGroups, AlertRule, InstalledSubsystems } from "../components/alerting";
import * as metricNames from "../components/metricNames";
import { dcgmCounterList, validateStackConfig } from "../config";
import { AlertThresholds } from "../config/alerts";
import { PROJECT_DIR } from "./helpers/run";

const INSTALL_SCRIPT = path.join(PROJECT_DIR, "scripts/install-promtool.sh");
const DEFAULTS = validateStackConfig({});
const EVERYTHING: InstalledSubsystems = {
    dcgmExporter: { job: "dcgm-exporter" },
    otelCollector: true,
    promtail: true,
    alloy: true,
    loki: true,
    tempo: true,
};
const rulesFor = (thresholds: AlertThresholds = DEFAULTS.alerts.thresholds, installed = EVERYTHING): AlertRule[] =>
    alertRuleGroups({ thresholds, installed }).flatMap((group) => group.rules);
const ruleNamed = (alert: string, rules = rulesFor()): AlertRule => {
    const rule = rules.find((r) => r.alert === alert);
    if (!rule) throw new Error(`no rule ${alert}`);
    return rule;
};

// ---- Series as the exporters write them and our ServiceMonitors scrape them ----------------------

type Labels = Record<string, string>;
const series = (metric: string, labels: Labels, values: string) => ({
    series: `${metric}{${Object.entries(labels)
        .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
        .join(",")}}`,
    values,
});

/** A GPU as dcgm-exporter 4.x labels it, on node gpu-node-1 (the Hostname is the node, from NODE_NAME). */
const gpu = (index: number): Labels => ({
    gpu: String(index),
    UUID: `GPU-8a2b6f0e-1c4d-4e5f-9a7b-3c2d1e0f9a8${index}`,
    pci_bus_id: `00000000:${(0x3b + index).toString(16).toUpperCase()}:00.0`,
    device: `nvidia${index}`,
    modelName: "NVIDIA A100-SXM4-80GB",
    Hostname: "gpu-node-1",
    DCGM_FI_DRIVER_VERSION: "550.127.08",
});
/** Target labels of the exporter pod on gpu-node-1: our ServiceMonitor adds node and drops the exporter pod's own namespace, pod and container. */
const DCGM_TARGET: Labels = {
    node: "gpu-node-1",
    instance: "10.244.3.7:9400",
    job: "dcgm-exporter",
    service: "dcgm-exporter",
    endpoint: "metrics",
};
/** The workload a GPU is assigned to, as the exporter reads it from the kubelet (kept by honorLabels); absent on unused GPUs. */
const usedBy = (pod: string, container: string): Labels => ({ namespace: "tokkio", pod, container });
const dcgm = (metric: string, index: number, values: string, workload: Labels = {}, extra: Labels = {}) =>
    series(metric, { ...gpu(index), ...extra, ...DCGM_TARGET, ...workload }, values);

/** kube-state-metrics' own target (honorLabels keeps the object's namespace and pod where it has them). */
const KSM_TARGET: Labels = {
    job: "kube-state-metrics",
    instance: "10.244.0.12:8080",
    service: "kube-prometheus-stack-kube-state-metrics",
    endpoint: "http",
};
const KSM_POD: Labels = {
    namespace: "observability",
    pod: "kube-prometheus-stack-kube-state-metrics-5d8f7b9c4-qx7lm",
    container: "kube-state-metrics",
};
const nodeAllocatable = (node: string, resource: string, unit: string, values: string) =>
    series(metricNames.KUBE_STATE_METRICS.nodeAllocatable, { node, resource, unit, ...KSM_TARGET, ...KSM_POD }, values);
const podRequest = (pod: string, container: string, resource: string, unit: string, values: string) =>
    series(
        metricNames.KUBE_STATE_METRICS.containerResourceRequests,
        {
            namespace: "tokkio",
            pod,
            uid: `0f6c2a4e-${pod.length}b1d-4c3e-9f7a-2d8e6b4c1a09`,
            container,
            node: "gpu-node-1",
            resource,
            unit,
            ...KSM_TARGET,
        },
        values,
    );

/** A pipeline pod's target labels: job is the Service's name (Loki's chart prefixes it with the namespace). */
const target = (job: string, service: string, pod: string, container: string, endpoint: string, instance: string): Labels => ({
    job,
    service,
    namespace: "observability",
    pod,
    container,
    endpoint,
    instance,
});
const COLLECTOR = (pod: string, ip: string) =>
    target("otel-collector", "otel-collector", pod, "opentelemetry-collector", "metrics", `${ip}:8888`);
/** The collector's internal telemetry labels each series with its instrumentation scope. */
const EXPORTER = { exporter: "otlp_grpc/tempo", otel_scope_name: "go.opentelemetry.io/collector/exporter/exporterhelper" };
const RECEIVER = (transport: string) => ({
    receiver: "otlp",
    transport,
    otel_scope_name: "go.opentelemetry.io/collector/receiver/receiverhelper",
});
const PROMTAIL = (pod: string, ip: string) => target("promtail-metrics", "promtail-metrics", pod, "promtail", "http-metrics", `${ip}:3101`);
// Alloy's loki.write metrics also carry the component that wrote them.
const ALLOY = (pod: string, ip: string) => ({
    ...target("alloy", "alloy", pod, "alloy", "http-metrics", `${ip}:12345`),
    component_id: "loki.write.loki",
    component_path: "/",
});
const LOKI_PUSH_HOST = "loki.observability.svc.cluster.local:3100";
const LOKI = { ...target("observability/loki", "loki", "loki-0", "loki", "http-metrics", "10.244.1.31:3100"), app_instance: "loki" };
const TEMPO = target("tempo", "tempo", "tempo-0", "tempo", "tempo-prom-metrics", "10.244.1.32:3200");
// Loki simple-scalable: the chart's ServiceMonitor scrapes each target's Service, the job
// "<namespace>/<Service>"; the distributor that counts discards runs in the write target.
const LOKI_WRITE = (replica: number) => ({
    ...target("observability/loki-write", "loki-write", `loki-write-${replica}`, "write", "http-metrics", `10.244.2.${10 + replica}:3100`),
    app_instance: "loki",
});
// Tempo distributed: one ServiceMonitor per component, which sets the job to "<namespace>/<component>"
// (tempo-distributed templates/lib/service-monitor.tpl); distributors and live-stores both count discards.
const TEMPO_COMPONENT = (component: string, pod: string, ip: string) =>
    target(`observability/${component}`, `tempo-${component}`, pod, component, "http-metrics", `${ip}:3200`);
const TEMPO_DISTRIBUTOR = (pod: string, ip: string) => TEMPO_COMPONENT("distributor", pod, ip);

// ---- The cases: for each alert, when it fires (with its labels and annotations) and when not ----

interface PromtoolTest {
    interval: string;
    input_series: { series: string; values: string }[];
    alert_rule_test: { eval_time: string; alertname: string; exp_alerts: { exp_labels: Labels; exp_annotations: Labels }[] }[];
}
const silentAt = (alertname: string, ...times: string[]) => times.map((eval_time) => ({ eval_time, alertname, exp_alerts: [] }));

const GPU0 = "GPU 0 (NVIDIA A100-SXM4-80GB, GPU-8a2b6f0e-1c4d-4e5f-9a7b-3c2d1e0f9a80) on node gpu-node-1";
const ASR = usedBy("riva-asr-6f8d9c7b5-x2k4p", "riva-asr");
const gpuAlertLabels = (index: number, workload: Labels = {}) => ({
    node: "gpu-node-1",
    gpu: String(index),
    UUID: gpu(index).UUID,
    modelName: gpu(index).modelName,
    ...workload,
});

const CASES: [string, PromtoolTest][] = [
    [
        "GpuXidError fires on the XID a GPU reports, with NVIDIA's text for it, and never on XID 0",
        {
            interval: "1m",
            input_series: [
                // The exporter labels the series with the code: a new XID is a new series.
                dcgm(metricNames.DCGM.xidErrors, 0, "0x9", ASR, { err_code: "0" }),
                dcgm(metricNames.DCGM.xidErrors, 0, "_x10 79x20", ASR, { err_code: "79", err_msg: "GPU has fallen off the bus" }),
                dcgm(metricNames.DCGM.xidErrors, 1, "0x30", {}, { err_code: "0" }),
            ],
            alert_rule_test: [
                ...silentAt("GpuXidError", "5m"),
                {
                    eval_time: "12m",
                    alertname: "GpuXidError",
                    exp_alerts: [
                        {
                            exp_labels: {
                                severity: "critical",
                                ...gpuAlertLabels(0, ASR),
                                err_code: "79",
                                err_msg: "GPU has fallen off the bus",
                            },
                            exp_annotations: {
                                summary: "GPU 0 on gpu-node-1 reported XID 79",
                                description:
                                    `${GPU0}, used by tokkio/riva-asr-6f8d9c7b5-x2k4p, reported XID 79 (GPU has fallen off the bus). ` +
                                    "Look the code up in NVIDIA's XID catalogue: some (13, 31, 43, 45) are usually the application's fault, " +
                                    "others (48, 74, 79, 94, 95) mean the GPU needs a reset or the node draining. The exporter keeps reporting " +
                                    "the last XID until it restarts: once handled, delete the node's dcgm-exporter pod to clear this alert.",
                                runbook_url: "https://docs.nvidia.com/deploy/xid-errors/",
                            },
                        },
                    ],
                },
            ],
        },
    ],
    [
        "GpuTemperatureHigh fires after 5 minutes above 85 °C, not during them, not for a spike, not at 84 °C",
        {
            interval: "1m",
            input_series: [dcgm(metricNames.DCGM.gpuTemp, 0, "70x9 90x30", ASR), dcgm(metricNames.DCGM.gpuTemp, 1, "84x10 95x2 84x30")],
            alert_rule_test: [
                ...silentAt("GpuTemperatureHigh", "12m"),
                {
                    eval_time: "16m",
                    alertname: "GpuTemperatureHigh",
                    exp_alerts: [
                        {
                            exp_labels: { severity: "warning", ...gpuAlertLabels(0, ASR) },
                            exp_annotations: {
                                summary: "GPU 0 on gpu-node-1 is at 90 °C",
                                description:
                                    `${GPU0}, used by tokkio/riva-asr-6f8d9c7b5-x2k4p, has been above 85 °C for 5m (90 °C now). ` +
                                    "Near its max operating temperature (nvidia-smi -q -d TEMPERATURE) the driver slows its clocks down. " +
                                    "Check the node's cooling and airflow and the GPU's power draw.",
                            },
                        },
                    ],
                },
            ],
        },
    ],
    [
        "GpuMemoryNearlyFull fires at 96% of the framebuffer used, not at an LLM server's usual 90%",
        {
            interval: "1m",
            input_series: [
                dcgm(metricNames.DCGM.fbUsed, 0, "78000x20", ASR),
                dcgm(metricNames.DCGM.fbFree, 0, "3000x20", ASR),
                dcgm(metricNames.DCGM.fbUsed, 1, "72900x20", usedBy("llm-nim-0", "nim")),
                dcgm(metricNames.DCGM.fbFree, 1, "8100x20", usedBy("llm-nim-0", "nim")),
            ],
            alert_rule_test: [
                ...silentAt("GpuMemoryNearlyFull", "3m"),
                {
                    eval_time: "10m",
                    alertname: "GpuMemoryNearlyFull",
                    exp_alerts: [
                        {
                            exp_labels: { severity: "warning", ...gpuAlertLabels(0, ASR) },
                            exp_annotations: {
                                summary: "GPU 0 on gpu-node-1 has 96.3% of its memory in use",
                                description:
                                    `${GPU0}, used by tokkio/riva-asr-6f8d9c7b5-x2k4p, has had more than 95% of its framebuffer in use for 5m ` +
                                    "(96.3% now): its next allocation may fail with CUDA out of memory. " +
                                    "Lower the workload's batch size or KV-cache fraction, or give it a larger GPU.",
                            },
                        },
                    ],
                },
            ],
        },
    ],
    [
        "GpuExporterMissing fires for a GPU node without a DCGM target or with a down one, after 10 minutes",
        {
            interval: "1m",
            input_series: [
                nodeAllocatable("gpu-node-1", metricNames.KUBE_STATE_METRICS.gpuResource, "integer", "8x30"),
                series(metricNames.PROMETHEUS.up, DCGM_TARGET, "1x30"),
                // The exporter never scheduled here (say, the node lacks nvidia.com/gpu.present).
                nodeAllocatable("gpu-node-2", metricNames.KUBE_STATE_METRICS.gpuResource, "integer", "4x30"),
                // Scraped, but failing.
                nodeAllocatable("gpu-node-3", metricNames.KUBE_STATE_METRICS.gpuResource, "integer", "2x30"),
                series(metricNames.PROMETHEUS.up, { ...DCGM_TARGET, node: "gpu-node-3", instance: "10.244.5.9:9400" }, "0x30"),
                // A CPU node has no nvidia_com_gpu resource at all.
                nodeAllocatable("cpu-node-1", "cpu", "core", "8x30"),
            ],
            alert_rule_test: [
                ...silentAt("GpuExporterMissing", "5m"),
                {
                    eval_time: "15m",
                    alertname: "GpuExporterMissing",
                    exp_alerts: [2, 3].map((n) => ({
                        exp_labels: { severity: "warning", node: `gpu-node-${n}` },
                        exp_annotations: {
                            summary: `No GPU metrics from node gpu-node-${n}`,
                            description:
                                `Node gpu-node-${n} has ${n === 2 ? 4 : 2} allocatable GPUs but no healthy dcgm-exporter target for 10m: ` +
                                "nothing watches its GPUs (no XID, temperature or memory alerts). Check that the node carries the exporter's " +
                                "node selector labels (dcgmExporter.nodeSelector; nvidia.com/gpu.present=true, set by GPU feature discovery, " +
                                "by default) and that the exporter tolerates its taints (dcgmExporter.tolerations), then the logs of the " +
                                "exporter pod on the node.",
                        },
                    })),
                },
            ],
        },
    ],
    [
        "GpuAllocatedIdle fires for a GPU a pod holds under 5% for 2 hours, and not for a busy, a briefly used, an unallocated or a released GPU",
        {
            interval: "1m",
            input_series: [
                dcgm(metricNames.DCGM.gpuUtil, 0, "40x200", ASR),
                podRequest("riva-asr-6f8d9c7b5-x2k4p", "riva-asr", metricNames.KUBE_STATE_METRICS.gpuResource, "integer", "1x200"),
                // A language model loaded and waiting for requests.
                dcgm(metricNames.DCGM.gpuUtil, 1, "1x200", usedBy("llm-nim-0", "nim")),
                podRequest("llm-nim-0", "nim", metricNames.KUBE_STATE_METRICS.gpuResource, "integer", "1x200"),
                podRequest("llm-nim-0", "nim", "cpu", "core", "4x200"),
                // Idle, but one conversation at minute 60 restarts the clock.
                dcgm(metricNames.DCGM.gpuUtil, 2, "2x59 60 2x140", usedBy("a2f-0", "audio2face")),
                podRequest("a2f-0", "audio2face", metricNames.KUBE_STATE_METRICS.gpuResource, "integer", "1x200"),
                // No pod holds it.
                dcgm(metricNames.DCGM.gpuUtil, 3, "0x200"),
                // Labelled with a pod that no longer requests a GPU.
                dcgm(metricNames.DCGM.gpuUtil, 4, "0x200", usedBy("batch-embed-7k2xq", "embed")),
            ],
            alert_rule_test: [
                ...silentAt("GpuAllocatedIdle", "1h"),
                {
                    eval_time: "130m",
                    alertname: "GpuAllocatedIdle",
                    exp_alerts: [
                        {
                            exp_labels: { severity: "warning", ...gpuAlertLabels(1, usedBy("llm-nim-0", "nim")) },
                            exp_annotations: {
                                summary: "GPU 1 allocated to tokkio/llm-nim-0 is idle",
                                description:
                                    "GPU 1 (NVIDIA A100-SXM4-80GB, GPU-8a2b6f0e-1c4d-4e5f-9a7b-3c2d1e0f9a81) on node gpu-node-1, " +
                                    "allocated to pod tokkio/llm-nim-0, has stayed under 5% utilisation for 2h (at most 1% in the last 5m). " +
                                    "Scale the workload down or give the GPU back to other workloads.",
                            },
                        },
                    ],
                },
            ],
        },
    ],
    [
        "OtelCollectorExportFailing fires when sends to Tempo keep failing for 10 minutes, not for one failed batch",
        {
            interval: "1m",
            input_series: [
                series(
                    metricNames.PIPELINE.otelCollector.exporterSendFailedSpans,
                    { ...EXPORTER, ...COLLECTOR("otel-collector-0", "10.244.1.20") },
                    "0x10 50+50x30",
                ),
                series(
                    metricNames.PIPELINE.otelCollector.exporterSendFailedSpans,
                    { ...EXPORTER, ...COLLECTOR("otel-collector-1", "10.244.2.21") },
                    "0x10 100x30",
                ),
            ],
            alert_rule_test: [
                ...silentAt("OtelCollectorExportFailing", "15m"),
                {
                    eval_time: "25m",
                    alertname: "OtelCollectorExportFailing",
                    exp_alerts: [
                        {
                            exp_labels: {
                                severity: "warning",
                                namespace: "observability",
                                pod: "otel-collector-0",
                                exporter: "otlp_grpc/tempo",
                            },
                            exp_annotations: {
                                summary: "OTel Collector otel-collector-0 fails to send spans to otlp_grpc/tempo",
                                description:
                                    "observability/otel-collector-0 has been failing to send spans to otlp_grpc/tempo for 10m (0.83 spans/s): " +
                                    "spans given up after the retry window (otelCollector.queue.retryWindow) are lost. " +
                                    "Check that Tempo is up and reachable from the collector.",
                            },
                        },
                    ],
                },
            ],
        },
    ],
    [
        "OtelCollectorRefusingSpans fires when a receiver keeps refusing spans, per transport",
        {
            interval: "1m",
            input_series: [
                series(
                    metricNames.PIPELINE.otelCollector.receiverRefusedSpans,
                    { ...RECEIVER("grpc"), ...COLLECTOR("otel-collector-0", "10.244.1.20") },
                    "0+30x30",
                ),
                series(
                    metricNames.PIPELINE.otelCollector.receiverRefusedSpans,
                    { ...RECEIVER("http"), ...COLLECTOR("otel-collector-0", "10.244.1.20") },
                    "0x30",
                ),
            ],
            alert_rule_test: [
                ...silentAt("OtelCollectorRefusingSpans", "5m"),
                {
                    eval_time: "15m",
                    alertname: "OtelCollectorRefusingSpans",
                    exp_alerts: [
                        {
                            exp_labels: {
                                severity: "warning",
                                namespace: "observability",
                                pod: "otel-collector-0",
                                receiver: "otlp",
                                transport: "grpc",
                            },
                            exp_annotations: {
                                summary: "OTel Collector otel-collector-0 refuses spans",
                                description:
                                    "observability/otel-collector-0 has been refusing spans on its otlp receiver (grpc) for 10m (0.50 spans/s), " +
                                    "usually its memory_limiter pushing back: applications that do not retry lose them. " +
                                    "Raise otelCollector.resources.limits.memory or otelCollector.replicas.",
                            },
                        },
                    ],
                },
            ],
        },
    ],
    [
        "OtelCollectorQueueNearlyFull fires when the sending queue stays over 80% full, not at 20%",
        {
            interval: "1m",
            input_series: [
                series(
                    metricNames.PIPELINE.otelCollector.exporterQueueSize,
                    { data_type: "traces", ...EXPORTER, ...COLLECTOR("otel-collector-0", "10.244.1.20") },
                    "4500x30",
                ),
                series(
                    metricNames.PIPELINE.otelCollector.exporterQueueCapacity,
                    { data_type: "traces", ...EXPORTER, ...COLLECTOR("otel-collector-0", "10.244.1.20") },
                    "5000x30",
                ),
                series(
                    metricNames.PIPELINE.otelCollector.exporterQueueSize,
                    { data_type: "traces", ...EXPORTER, ...COLLECTOR("otel-collector-1", "10.244.2.21") },
                    "1000x30",
                ),
                series(
                    metricNames.PIPELINE.otelCollector.exporterQueueCapacity,
                    { data_type: "traces", ...EXPORTER, ...COLLECTOR("otel-collector-1", "10.244.2.21") },
                    "5000x30",
                ),
            ],
            alert_rule_test: [
                ...silentAt("OtelCollectorQueueNearlyFull", "5m"),
                {
                    eval_time: "12m",
                    alertname: "OtelCollectorQueueNearlyFull",
                    exp_alerts: [
                        {
                            exp_labels: {
                                severity: "warning",
                                namespace: "observability",
                                pod: "otel-collector-0",
                                exporter: "otlp_grpc/tempo",
                            },
                            exp_annotations: {
                                summary: "The sending queue of OTel Collector otel-collector-0 is 90% full",
                                description:
                                    "The queue of otlp_grpc/tempo in observability/otel-collector-0 has been more than 80% full for 10m (90% now); " +
                                    "once it is full, new spans are dropped. Tempo is slow or unreachable: check it, or raise otelCollector.queue.size.",
                            },
                        },
                    ],
                },
            ],
        },
    ],
    [
        "PromtailDroppingEntries fires when a Promtail pod keeps dropping entries, by reason",
        {
            interval: "1m",
            input_series: [
                // Promtail initialises every reason's counter at 0 for each tenant it pushes as ("" here: no label).
                series(
                    metricNames.PIPELINE.promtail.droppedEntries,
                    { host: LOKI_PUSH_HOST, reason: "rate_limited", ...PROMTAIL("promtail-7xk2q", "10.244.3.5") },
                    "0+120x30",
                ),
                series(
                    metricNames.PIPELINE.promtail.droppedEntries,
                    { host: LOKI_PUSH_HOST, reason: "ingester_error", ...PROMTAIL("promtail-7xk2q", "10.244.3.5") },
                    "0x30",
                ),
                series(
                    metricNames.PIPELINE.promtail.droppedEntries,
                    { host: LOKI_PUSH_HOST, reason: "rate_limited", ...PROMTAIL("promtail-m4z9d", "10.244.4.6") },
                    "0x30",
                ),
            ],
            alert_rule_test: [
                ...silentAt("PromtailDroppingEntries", "5m"),
                {
                    eval_time: "15m",
                    alertname: "PromtailDroppingEntries",
                    exp_alerts: [
                        {
                            exp_labels: {
                                severity: "warning",
                                namespace: "observability",
                                pod: "promtail-7xk2q",
                                host: LOKI_PUSH_HOST,
                                reason: "rate_limited",
                            },
                            exp_annotations: {
                                summary: "Promtail promtail-7xk2q drops log entries (rate_limited)",
                                description:
                                    `observability/promtail-7xk2q has been dropping log entries bound for ${LOKI_PUSH_HOST} for 10m ` +
                                    "(2.00 entries/s, reason rate_limited), after retrying: those logs are lost. " +
                                    "rate_limited or stream_limited: raise Loki's ingestion limits; ingester_error: check Loki's health and logs; " +
                                    "line_too_long: the application logs lines longer than Loki accepts.",
                            },
                        },
                    ],
                },
            ],
        },
    ],
    [
        "AlloyDroppingEntries fires when an Alloy pod keeps dropping entries, by reason",
        {
            interval: "1m",
            input_series: [
                series(
                    metricNames.PIPELINE.alloy.droppedEntries,
                    { host: LOKI_PUSH_HOST, reason: "ingester_error", ...ALLOY("alloy-q8r2t", "10.244.3.7") },
                    "0+60x30",
                ),
                series(
                    metricNames.PIPELINE.alloy.droppedEntries,
                    { host: LOKI_PUSH_HOST, reason: "ingester_error", ...ALLOY("alloy-b7n4k", "10.244.4.8") },
                    "0x30",
                ),
            ],
            alert_rule_test: [
                ...silentAt("AlloyDroppingEntries", "5m"),
                {
                    eval_time: "15m",
                    alertname: "AlloyDroppingEntries",
                    exp_alerts: [
                        {
                            exp_labels: {
                                severity: "warning",
                                namespace: "observability",
                                pod: "alloy-q8r2t",
                                host: LOKI_PUSH_HOST,
                                reason: "ingester_error",
                            },
                            exp_annotations: {
                                summary: "Alloy alloy-q8r2t drops log entries (ingester_error)",
                                description:
                                    `observability/alloy-q8r2t has been dropping log entries bound for ${LOKI_PUSH_HOST} for 10m ` +
                                    "(1.00 entries/s, reason ingester_error), after retrying: those logs are lost. " +
                                    "rate_limited or stream_limited: raise Loki's ingestion limits; ingester_error: check Loki's health and logs.",
                            },
                        },
                    ],
                },
            ],
        },
    ],
    [
        "LokiDiscardingSamples fires when Loki keeps refusing lines of a tenant, by reason",
        {
            interval: "1m",
            input_series: [
                series(metricNames.PIPELINE.loki.discardedSamples, { reason: "rate_limited", tenant: "fake", ...LOKI }, "0+60x30"),
                series(metricNames.PIPELINE.loki.discardedSamples, { reason: "line_too_long", tenant: "fake", ...LOKI }, "0x30"),
            ],
            alert_rule_test: [
                ...silentAt("LokiDiscardingSamples", "5m"),
                {
                    eval_time: "15m",
                    alertname: "LokiDiscardingSamples",
                    exp_alerts: [
                        {
                            exp_labels: { severity: "warning", namespace: "observability", tenant: "fake", reason: "rate_limited" },
                            exp_annotations: {
                                summary: "Loki discards log lines (rate_limited)",
                                description:
                                    "Loki has been discarding log lines of tenant fake for 10m (1.00 lines/s, reason rate_limited): it refused them at ingestion. " +
                                    "rate_limited, stream_limit or per_stream_rate_limit: raise Loki's limits_config; greater_than_max_sample_age " +
                                    "or too_far_behind: a shipper is sending old logs.",
                            },
                        },
                    ],
                },
            ],
        },
    ],
    [
        "TempoDiscardingSpans fires when Tempo keeps discarding spans, by reason",
        {
            interval: "1m",
            input_series: [
                series(
                    metricNames.PIPELINE.tempo.discardedSpans,
                    { reason: "live_traces_exceeded", tenant: "single-tenant", ...TEMPO },
                    "0+6x30",
                ),
                series(metricNames.PIPELINE.tempo.discardedSpans, { reason: "rate_limited", tenant: "single-tenant", ...TEMPO }, "0x30"),
            ],
            alert_rule_test: [
                ...silentAt("TempoDiscardingSpans", "5m"),
                {
                    eval_time: "15m",
                    alertname: "TempoDiscardingSpans",
                    exp_alerts: [
                        {
                            exp_labels: {
                                severity: "warning",
                                namespace: "observability",
                                tenant: "single-tenant",
                                reason: "live_traces_exceeded",
                            },
                            exp_annotations: {
                                summary: "Tempo discards spans (live_traces_exceeded)",
                                description:
                                    "Tempo has been discarding spans of tenant single-tenant for 10m (0.10 spans/s, reason live_traces_exceeded): they are lost. " +
                                    "rate_limited or live_traces_exceeded: raise Tempo's overrides (ingestion rate, max live traces); " +
                                    "trace_too_large: an application writes huge traces.",
                            },
                        },
                    ],
                },
            ],
        },
    ],
];

/**
 * The pipeline rules where Loki runs simple-scalable and Tempo distributed: several pods, under
 * other jobs, Services and containers, count the same losses. The rules key on none of those: one
 * alert per tenant and reason, at the rate of all pods together.
 */
const SCALABLE_CASES: [string, PromtoolTest][] = [
    [
        "LokiDiscardingSamples fires once for the write target's pods together",
        {
            interval: "1m",
            input_series: [
                series(metricNames.PIPELINE.loki.discardedSamples, { reason: "rate_limited", tenant: "fake", ...LOKI_WRITE(0) }, "0+30x30"),
                series(metricNames.PIPELINE.loki.discardedSamples, { reason: "rate_limited", tenant: "fake", ...LOKI_WRITE(1) }, "0+30x30"),
                series(metricNames.PIPELINE.loki.discardedSamples, { reason: "line_too_long", tenant: "fake", ...LOKI_WRITE(2) }, "0x30"),
            ],
            alert_rule_test: [
                ...silentAt("LokiDiscardingSamples", "5m"),
                {
                    eval_time: "15m",
                    alertname: "LokiDiscardingSamples",
                    exp_alerts: [
                        {
                            exp_labels: { severity: "warning", namespace: "observability", tenant: "fake", reason: "rate_limited" },
                            exp_annotations: {
                                summary: "Loki discards log lines (rate_limited)",
                                description:
                                    "Loki has been discarding log lines of tenant fake for 10m (1.00 lines/s, reason rate_limited): it refused them at ingestion. " +
                                    "rate_limited, stream_limit or per_stream_rate_limit: raise Loki's limits_config; greater_than_max_sample_age " +
                                    "or too_far_behind: a shipper is sending old logs.",
                            },
                        },
                    ],
                },
            ],
        },
    ],
    [
        "TempoDiscardingSpans fires once for the distributors' and live-stores' pods together",
        {
            interval: "1m",
            input_series: [
                series(
                    metricNames.PIPELINE.tempo.discardedSpans,
                    {
                        reason: "rate_limited",
                        tenant: "single-tenant",
                        ...TEMPO_DISTRIBUTOR("tempo-distributor-7c9d8f6b5-k2x8p", "10.244.4.11"),
                    },
                    "0+3x30",
                ),
                series(
                    metricNames.PIPELINE.tempo.discardedSpans,
                    {
                        reason: "rate_limited",
                        tenant: "single-tenant",
                        ...TEMPO_DISTRIBUTOR("tempo-distributor-7c9d8f6b5-q9w4z", "10.244.5.12"),
                    },
                    "0+3x30",
                ),
                series(
                    metricNames.PIPELINE.tempo.discardedSpans,
                    {
                        reason: "live_traces_exceeded",
                        tenant: "single-tenant",
                        ...TEMPO_COMPONENT("live-store", "tempo-live-store-0", "10.244.4.21"),
                    },
                    "0x30",
                ),
            ],
            alert_rule_test: [
                ...silentAt("TempoDiscardingSpans", "5m"),
                {
                    eval_time: "15m",
                    alertname: "TempoDiscardingSpans",
                    exp_alerts: [
                        {
                            exp_labels: {
                                severity: "warning",
                                namespace: "observability",
                                tenant: "single-tenant",
                                reason: "rate_limited",
                            },
                            exp_annotations: {
                                summary: "Tempo discards spans (rate_limited)",
                                description:
                                    "Tempo has been discarding spans of tenant single-tenant for 10m (0.10 spans/s, reason rate_limited): they are lost. " +
                                    "rate_limited or live_traces_exceeded: raise Tempo's overrides (ingestion rate, max live traces); " +
                                    "trace_too_large: an application writes huge traces.",
                            },
                        },
                    ],
                },
            ],
        },
    ],
];

// ---- promtool ----------------------------------------------------------------------------------

let workDir: string;
// On failure jest prints what was received: promtool's whole account of what it expected and got.
const PASSED = { status: 0, output: expect.stringContaining("SUCCESS") };
const RULE_FILE = "rules.yaml";

/** Runs `promtool test rules` on one test file against the rule file; status and everything it printed. */
function promtoolTest(name: string, tests: PromtoolTest[]): { status: number | null; output: string } {
    const file = path.join(workDir, `${name}.test.yaml`);
    fs.writeFileSync(file, YAML.stringify({ rule_files: [RULE_FILE], evaluation_interval: "1m", tests }));
    const run = spawnSync("promtool", ["test", "rules", file], { encoding: "utf8" });
    return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

beforeAll(() => {
    execFileSync("bash", [INSTALL_SCRIPT], { stdio: "inherit" });
    workDir = fs.mkdtempSync(path.join(os.tmpdir(), "alert-rules-"));
    fs.writeFileSync(
        path.join(workDir, RULE_FILE),
        YAML.stringify({ groups: alertRuleGroups({ thresholds: DEFAULTS.alerts.thresholds, installed: EVERYTHING }) }),
    );
});

afterAll(() => fs.rmSync(workDir, { recursive: true, force: true }));

describe("alert rules under promtool", () => {
    it("are a valid Prometheus rule file", () => {
        const run = spawnSync("promtool", ["check", "rules", path.join(workDir, RULE_FILE)], { encoding: "utf8" });
        expect({ status: run.status, output: `${run.stdout}${run.stderr}` }).toEqual(PASSED);
    });

    it.each(CASES)("%s", (title, test) => {
        expect(promtoolTest(title.split(" ")[0], [test])).toEqual(PASSED);
    });

    it.each(SCALABLE_CASES)("in Loki's simple-scalable and Tempo's distributed modes: %s", (title, test) => {
        expect(promtoolTest(`scalable-${title.split(" ")[0]}`, [test])).toEqual(PASSED);
    });

    it("cover every rule", () => {
        expect(CASES.map(([title]) => title.split(" ")[0]).sort()).toEqual(
            rulesFor()
                .map((r) => r.alert)
                .sort(),
        );
    });

    it("fail the test, with promtool's account, when an alert does not fire as expected", () => {
        const [, temperature] = CASES.find(([title]) => title.startsWith("GpuTemperatureHigh"))!;
        const tooEarly = { ...temperature, alert_rule_test: [{ ...temperature.alert_rule_test[1], eval_time: "12m" }] };
        const run = promtoolTest("too-early", [tooEarly]);
        expect(run.status).not.toBe(0);
        expect(run.output).toContain("FAILED");
        expect(run.output).toContain("alertname: GpuTemperatureHigh, time: 12m");
    });
});

// ---- PromQL and metric names -------------------------------------------------------------------

/** Where lezer-promql found an error in an expression, or [] when it parses. */
function parseErrors(expr: string): number[] {
    const errors: number[] = [];
    parser.parse(expr).iterate({
        enter: (node) => {
            if (node.type.isError) errors.push(node.from);
        },
    });
    return errors;
}

/** The metric names an expression selects. */
function metricsOf(expr: string): string[] {
    const names: string[] = [];
    parser.parse(expr).iterate({
        enter: (node) => {
            if (node.name === "Identifier" && node.node.parent?.name === "VectorSelector") names.push(expr.slice(node.from, node.to));
        },
    });
    return names;
}

/** Every string value of a nested constant object. */
const valuesOf = (tree: unknown): string[] =>
    typeof tree === "string" ? [tree] : typeof tree === "object" && tree !== null ? Object.values(tree).flatMap(valuesOf) : [];

describe("alert expressions", () => {
    it.each(rulesFor().map((r) => [r.alert, r.expr]))("%s parses as PromQL", (_alert, expr) => {
        expect(parseErrors(expr)).toEqual([]);
    });

    it("would show a broken expression as one that does not parse", () => {
        expect(parseErrors(`max by (node) (${metricNames.DCGM.gpuTemp}{job="dcgm-exporter"} > `)).not.toEqual([]);
        expect(parseErrors("sum(rate(promtail_dropped_entries_total[5m]) > 0")).not.toEqual([]);
    });

    it("use only DCGM fields the exporter is configured to export", () => {
        const exported = dcgmCounterList(DEFAULTS.dcgmExporter.counters).map((c) => c.field);
        const used = rulesFor()
            .flatMap((r) => metricsOf(r.expr))
            .filter((name) => name.startsWith("DCGM_"));
        expect(used.length).toBeGreaterThan(0);
        expect(used.filter((name) => !exported.includes(name))).toEqual([]);
    });

    it("use only metrics named in components/metricNames.ts (and Prometheus' own up)", () => {
        const known = valuesOf(metricNames);
        const used = rulesFor().flatMap((r) => metricsOf(r.expr));
        expect(used.filter((name) => !known.includes(name))).toEqual([]);
    });
});

// ---- Thresholds and subsystems -----------------------------------------------------------------

describe("alert thresholds from config", () => {
    const custom = validateStackConfig({
        alerts: {
            thresholds: {
                gpuTemperatureCelsius: 80,
                gpuMemoryUsedPercent: 98,
                idleGpuUtilizationPercent: 10,
                idleGpuFor: "6h",
                gpuExporterMissingFor: "30m",
                pipelineLossFor: "15m",
            },
        },
    }).alerts.thresholds;
    const rules = rulesFor(custom);

    it.each([
        ["GpuTemperatureHigh", /\) > 80$/, "5m"],
        ["GpuMemoryNearlyFull", /\) > 98$/, "5m"],
        ["GpuAllocatedIdle", /\[5m\]\)\) < 10\)/, "6h"],
        ["GpuExporterMissing", /up\{job="dcgm-exporter"\} == 1\)$/, "30m"],
        ["OtelCollectorExportFailing", /> 0$/, "15m"],
        ["OtelCollectorQueueNearlyFull", /> 0.8$/, "15m"],
        ["PromtailDroppingEntries", /> 0$/, "15m"],
        ["LokiDiscardingSamples", /> 0$/, "15m"],
        ["TempoDiscardingSpans", /> 0$/, "15m"],
    ])("reach %s's expression and for", (alert, expr, forDuration) => {
        expect(ruleNamed(alert, rules).expr).toMatch(expr);
        expect(ruleNamed(alert, rules).for).toBe(forDuration);
    });

    it("are the documented defaults when nothing is set", () => {
        expect(DEFAULTS.alerts.thresholds).toEqual({
            gpuTemperatureCelsius: 85,
            gpuMemoryUsedPercent: 95,
            idleGpuUtilizationPercent: 5,
            idleGpuFor: "2h",
            gpuExporterMissingFor: "10m",
            pipelineLossFor: "10m",
        });
    });

    it("are refused, naming the key, when they are out of range or no duration", () => {
        expect(() =>
            validateStackConfig({ alerts: { thresholds: { gpuMemoryUsedPercent: 120, idleGpuFor: "2 hours" } } }, "gpu-observability:"),
        ).toThrow(
            /alerts\.thresholds\.gpuMemoryUsedPercent: 120 is not a percentage; use a number above 0 and at most 100\n.*alerts\.thresholds\.idleGpuFor: "2 hours" is not a positive duration/,
        );
    });
});

describe("alert rules per installed subsystem", () => {
    const alertsWith = (installed: Partial<InstalledSubsystems>) =>
        rulesFor(undefined, { otelCollector: false, promtail: false, alloy: false, loki: false, tempo: false, ...installed }).map(
            (r) => r.alert,
        );

    it.each([
        [
            { dcgmExporter: { job: "dcgm-exporter" } },
            ["GpuXidError", "GpuTemperatureHigh", "GpuMemoryNearlyFull", "GpuExporterMissing", "GpuAllocatedIdle"],
        ],
        [{ otelCollector: true }, ["OtelCollectorExportFailing", "OtelCollectorRefusingSpans", "OtelCollectorQueueNearlyFull"]],
        [{ promtail: true }, ["PromtailDroppingEntries"]],
        [{ alloy: true }, ["AlloyDroppingEntries"]],
        [{ loki: true }, ["LokiDiscardingSamples"]],
        [{ tempo: true }, ["TempoDiscardingSpans"]],
    ])("with only %j installed are exactly its own", (installed, alerts) => {
        expect(alertsWith(installed)).toEqual(alerts);
    });

    it("leave a group out when none of its subsystems is installed", () => {
        expect(
            alertRuleGroups({ thresholds: DEFAULTS.alerts.thresholds, installed: { ...EVERYTHING, dcgmExporter: undefined } }).map(
                (g) => g.name,
            ),
        ).toEqual(["gpu-observability.telemetry-pipeline"]);
    });

    it("select the DCGM exporter by its scrape job", () => {
        const rules = rulesFor(undefined, { ...EVERYTHING, dcgmExporter: { job: "gpu-metrics" } });
        expect(ruleNamed("GpuTemperatureHigh", rules).expr).toContain('DCGM_FI_DEV_GPU_TEMP{job="gpu-metrics"}');
        expect(ruleNamed("GpuExporterMissing", rules).expr).toContain('up{job="gpu-metrics"}');
    });

    it("give every rule a severity, a summary and a description that names what fired", () => {
        for (const rule of rulesFor()) {
            expect(["critical", "warning"]).toContain(rule.labels.severity);
            expect(rule.annotations.summary).toMatch(/\{\{ \$labels\.\w+ \}\}/);
            expect(rule.annotations.description).toMatch(/\{\{ \$labels\.\w+ \}\}/);
        }
    });
});
