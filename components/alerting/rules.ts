// The stack's own alert rules: GPU health and cost from the DCGM exporter and kube-state-metrics,
// and losses anywhere in the telemetry pipeline. kube-prometheus-stack's node and Kubernetes rules
// (its defaultRules) stay on beside them.
import { AlertSeverity, AlertThresholds } from "../../config/alerts";
import { DCGM, DCGM_LABELS, DCGM_XID_LABELS, KUBE_STATE_METRICS, PIPELINE, PIPELINE_LABELS, PROMETHEUS } from "../metricNames";

/** One alerting rule, as a PrometheusRule (and a Prometheus rule file) writes it. */
export interface AlertRule {
    alert: string;
    expr: string;
    for?: string;
    labels: { severity: AlertSeverity };
    annotations: { summary: string; description: string; runbook_url?: string };
}

export interface AlertRuleGroup {
    name: string;
    rules: AlertRule[];
}

/** The subsystems whose rules apply: the DCGM exporter by the scrape job of its Service. */
export interface InstalledSubsystems {
    dcgmExporter?: { job: string };
    otelCollector: boolean;
    promtail: boolean;
    alloy: boolean;
    loki: boolean;
    tempo: boolean;
}

export interface AlertRulesInput {
    thresholds: AlertThresholds;
    installed: InstalledSubsystems;
}

// rate() needs at least four samples in its window to be steady: four scrapes of the default 30s
// interval (prometheus.scrapeInterval) fit in 2m; 5m also rides out one missed scrape.
const RATE_WINDOW = "5m";
// Temperature and memory are gauges that spike for seconds at a time; five minutes above the
// threshold is a trend, not a spike.
const GAUGE_FOR = "5m";
// At 80% the queue still has room for a fifth of its batches; at 100% the exporter refuses new ones
// (otelcol_exporter_enqueue_failed_spans) and they are lost.
const COLLECTOR_QUEUE_FULL_RATIO = 0.8;
const XID_CATALOGUE = "https://docs.nvidia.com/deploy/xid-errors/";

/** The labels that identify a GPU and the workload using it; not the exporter pod's, which change when it restarts. */
const GPU_IDENTITY = [
    DCGM_LABELS.node,
    DCGM_LABELS.gpu,
    DCGM_LABELS.uuid,
    DCGM_LABELS.model,
    DCGM_LABELS.namespace,
    DCGM_LABELS.pod,
    DCGM_LABELS.container,
];
const by = (labels: readonly string[]) => `by (${labels.join(", ")})`;
const onLabels = (labels: readonly string[]) => `on (${labels.join(", ")})`;

/** Where a GPU alert points: the GPU, its node, and the pod using it when there is one. */
const GPU_TEXT = "GPU {{ $labels.gpu }} ({{ $labels.modelName }}, {{ $labels.UUID }}) on node {{ $labels.node }}";
const GPU_USER_TEXT = "{{ with $labels.pod }}, used by {{ $labels.namespace }}/{{ . }},{{ end }}";
const PER_SECOND = '{{ $value | printf "%.2f" }}';

function gpuRules(t: AlertThresholds, job: string): AlertRule[] {
    const dcgm = (metric: string, matchers = "") => `${metric}{job="${job}"${matchers}}`;
    const gpuRequests = `${KUBE_STATE_METRICS.containerResourceRequests}{resource="${KUBE_STATE_METRICS.gpuResource}"}`;
    const nodeGpus = `${KUBE_STATE_METRICS.nodeAllocatable}{resource="${KUBE_STATE_METRICS.gpuResource}"}`;
    const podKey = [DCGM_LABELS.namespace, DCGM_LABELS.pod];
    return [
        {
            alert: "GpuXidError",
            // The series holds the last XID the driver reported (0: none) and keeps it until the
            // exporter restarts (dcgm-exporter#500): the alert stays until the pod is restarted.
            expr: `max ${by([...GPU_IDENTITY, DCGM_XID_LABELS.code, DCGM_XID_LABELS.message])} (${dcgm(DCGM.xidErrors)}) != 0`,
            labels: { severity: "critical" },
            annotations: {
                summary: "GPU {{ $labels.gpu }} on {{ $labels.node }} reported XID {{ $value }}",
                description:
                    `${GPU_TEXT}${GPU_USER_TEXT} reported XID {{ $value }}{{ with $labels.err_msg }} ({{ . }}){{ end }}. ` +
                    "Look the code up in NVIDIA's XID catalogue: some (13, 31, 43, 45) are usually the application's fault, " +
                    "others (48, 74, 79, 94, 95) mean the GPU needs a reset or the node draining. The exporter keeps reporting " +
                    "the last XID until it restarts: once handled, delete the node's dcgm-exporter pod to clear this alert.",
                runbook_url: XID_CATALOGUE,
            },
        },
        {
            alert: "GpuTemperatureHigh",
            expr: `max ${by(GPU_IDENTITY)} (${dcgm(DCGM.gpuTemp)}) > ${t.gpuTemperatureCelsius}`,
            for: GAUGE_FOR,
            labels: { severity: "warning" },
            annotations: {
                summary: "GPU {{ $labels.gpu }} on {{ $labels.node }} is at {{ $value }} °C",
                description:
                    `${GPU_TEXT}${GPU_USER_TEXT} has been above ${t.gpuTemperatureCelsius} °C for ${GAUGE_FOR} ({{ $value }} °C now). ` +
                    "Near its max operating temperature (nvidia-smi -q -d TEMPERATURE) the driver slows its clocks down. " +
                    "Check the node's cooling and airflow and the GPU's power draw.",
            },
        },
        {
            alert: "GpuMemoryNearlyFull",
            // Per GPU: used and free come from the same scrape with the same labels.
            expr:
                `max ${by(GPU_IDENTITY)} (100 * ${dcgm(DCGM.fbUsed)} / (${dcgm(DCGM.fbUsed)} + ${dcgm(DCGM.fbFree)}))` +
                ` > ${t.gpuMemoryUsedPercent}`,
            for: GAUGE_FOR,
            labels: { severity: "warning" },
            annotations: {
                summary: 'GPU {{ $labels.gpu }} on {{ $labels.node }} has {{ $value | printf "%.1f" }}% of its memory in use',
                description:
                    `${GPU_TEXT}${GPU_USER_TEXT} has had more than ${t.gpuMemoryUsedPercent}% of its framebuffer in use for ${GAUGE_FOR} ` +
                    '({{ $value | printf "%.1f" }}% now): its next allocation may fail with CUDA out of memory. ' +
                    "Lower the workload's batch size or KV-cache fraction, or give it a larger GPU.",
            },
        },
        {
            alert: "GpuExporterMissing",
            // Our ServiceMonitor labels every DCGM target with the node it runs on.
            expr:
                `max ${by([DCGM_LABELS.node])} (${nodeGpus} > 0)\n` +
                `unless ${onLabels([DCGM_LABELS.node])}\n` +
                `max ${by([DCGM_LABELS.node])} (${PROMETHEUS.up}{job="${job}"} == 1)`,
            for: t.gpuExporterMissingFor,
            labels: { severity: "warning" },
            annotations: {
                summary: "No GPU metrics from node {{ $labels.node }}",
                description:
                    `Node {{ $labels.node }} has {{ $value }} allocatable GPUs but no healthy ${job} target for ${t.gpuExporterMissingFor}: ` +
                    "nothing watches its GPUs (no XID, temperature or memory alerts). Check that the node carries the exporter's " +
                    "node selector labels (dcgmExporter.nodeSelector; nvidia.com/gpu.present=true, set by GPU feature discovery, " +
                    "by default) and that the exporter tolerates its taints (dcgmExporter.tolerations), then the logs of the " +
                    "exporter pod on the node.",
            },
        },
        {
            alert: "GpuAllocatedIdle",
            // DCGM labels a GPU with the pod the kubelet assigned it to; the pod must still request
            // GPUs. max_over_time: every sample of the window counts, not just the evaluated ones.
            expr:
                `(max ${by(GPU_IDENTITY)} (max_over_time(${dcgm(DCGM.gpuUtil, `, ${DCGM_LABELS.pod}!=""`)}[${RATE_WINDOW}])) < ${t.idleGpuUtilizationPercent})\n` +
                `and ${onLabels(podKey)}\n` +
                `(sum ${by(podKey)} (${gpuRequests}) > 0)`,
            for: t.idleGpuFor,
            labels: { severity: "warning" },
            annotations: {
                summary: "GPU {{ $labels.gpu }} allocated to {{ $labels.namespace }}/{{ $labels.pod }} is idle",
                description:
                    `${GPU_TEXT}, allocated to pod {{ $labels.namespace }}/{{ $labels.pod }}, has stayed under ` +
                    `${t.idleGpuUtilizationPercent}% utilisation for ${t.idleGpuFor} (at most {{ $value }}% in the last ${RATE_WINDOW}). ` +
                    "Scale the workload down or give the GPU back to other workloads.",
            },
        },
    ];
}

/** A rule that fires while a loss counter keeps increasing for the configured time. */
function lossRule(
    alert: string,
    counter: string,
    labels: readonly string[],
    forDuration: string,
    annotations: AlertRule["annotations"],
): AlertRule {
    return {
        alert,
        expr: `sum ${by(labels)} (rate(${counter}[${RATE_WINDOW}])) > 0`,
        for: forDuration,
        labels: { severity: "warning" },
        annotations,
    };
}

function collectorRules(t: AlertThresholds): AlertRule[] {
    const { otelCollector: otel } = PIPELINE;
    const exporterKey = [PIPELINE_LABELS.namespace, PIPELINE_LABELS.pod, PIPELINE_LABELS.exporter];
    return [
        lossRule("OtelCollectorExportFailing", otel.exporterSendFailedSpans, exporterKey, t.pipelineLossFor, {
            summary: "OTel Collector {{ $labels.pod }} fails to send spans to {{ $labels.exporter }}",
            description:
                `{{ $labels.namespace }}/{{ $labels.pod }} has been failing to send spans to {{ $labels.exporter }} for ${t.pipelineLossFor} ` +
                `(${PER_SECOND} spans/s): spans given up after the retry window (otelCollector.queue.retryWindow) are lost. ` +
                "Check that Tempo is up and reachable from the collector.",
        }),
        lossRule(
            "OtelCollectorRefusingSpans",
            otel.receiverRefusedSpans,
            [PIPELINE_LABELS.namespace, PIPELINE_LABELS.pod, PIPELINE_LABELS.receiver, PIPELINE_LABELS.transport],
            t.pipelineLossFor,
            {
                summary: "OTel Collector {{ $labels.pod }} refuses spans",
                description:
                    `{{ $labels.namespace }}/{{ $labels.pod }} has been refusing spans on its {{ $labels.receiver }} receiver ` +
                    `({{ $labels.transport }}) for ${t.pipelineLossFor} (${PER_SECOND} spans/s), usually its memory_limiter pushing back: ` +
                    "applications that do not retry lose them. Raise otelCollector.resources.limits.memory or otelCollector.replicas.",
            },
        ),
        {
            alert: "OtelCollectorQueueNearlyFull",
            expr:
                `max ${by(exporterKey)} (${otel.exporterQueueSize})\n/\n` +
                `max ${by(exporterKey)} (${otel.exporterQueueCapacity})\n` +
                `> ${COLLECTOR_QUEUE_FULL_RATIO}`,
            for: t.pipelineLossFor,
            labels: { severity: "warning" },
            annotations: {
                summary: "The sending queue of OTel Collector {{ $labels.pod }} is {{ $value | humanizePercentage }} full",
                description:
                    `The queue of {{ $labels.exporter }} in {{ $labels.namespace }}/{{ $labels.pod }} has been more than ` +
                    `${100 * COLLECTOR_QUEUE_FULL_RATIO}% full for ${t.pipelineLossFor} ({{ $value | humanizePercentage }} now); ` +
                    "once it is full, new spans are dropped. Tempo is slow or unreachable: check it, or raise otelCollector.queue.size.",
            },
        },
    ];
}

/** A log shipper that keeps dropping entries after its retries: those logs are lost. */
function logShipperRule(alert: string, shipper: string, droppedEntries: string, t: AlertThresholds, advice: string): AlertRule {
    return lossRule(
        alert,
        droppedEntries,
        [PIPELINE_LABELS.namespace, PIPELINE_LABELS.pod, PIPELINE_LABELS.lokiHost, PIPELINE_LABELS.reason],
        t.pipelineLossFor,
        {
            summary: `${shipper} {{ $labels.pod }} drops log entries ({{ $labels.reason }})`,
            description:
                `{{ $labels.namespace }}/{{ $labels.pod }} has been dropping log entries bound for {{ $labels.host }} for ` +
                `${t.pipelineLossFor} (${PER_SECOND} entries/s, reason {{ $labels.reason }}), after retrying: those logs are lost. ` +
                "rate_limited or stream_limited: raise Loki's ingestion limits; ingester_error: check Loki's health and logs" +
                advice,
        },
    );
}

const promtailRules = (t: AlertThresholds): AlertRule[] => [
    logShipperRule(
        "PromtailDroppingEntries",
        "Promtail",
        PIPELINE.promtail.droppedEntries,
        t,
        "; line_too_long: the application logs lines longer than Loki accepts.",
    ),
];

const alloyRules = (t: AlertThresholds): AlertRule[] => [
    logShipperRule("AlloyDroppingEntries", "Alloy", PIPELINE.alloy.droppedEntries, t, "."),
];

function lokiRules(t: AlertThresholds): AlertRule[] {
    return [
        lossRule(
            "LokiDiscardingSamples",
            PIPELINE.loki.discardedSamples,
            [PIPELINE_LABELS.namespace, PIPELINE_LABELS.tenant, PIPELINE_LABELS.reason],
            t.pipelineLossFor,
            {
                summary: "Loki discards log lines ({{ $labels.reason }})",
                description:
                    `Loki has been discarding log lines of tenant {{ $labels.tenant }} for ${t.pipelineLossFor} ` +
                    `(${PER_SECOND} lines/s, reason {{ $labels.reason }}): it refused them at ingestion. ` +
                    "rate_limited, stream_limit or per_stream_rate_limit: raise Loki's limits_config; greater_than_max_sample_age " +
                    "or too_far_behind: a shipper is sending old logs.",
            },
        ),
    ];
}

function tempoRules(t: AlertThresholds): AlertRule[] {
    return [
        lossRule(
            "TempoDiscardingSpans",
            PIPELINE.tempo.discardedSpans,
            [PIPELINE_LABELS.namespace, PIPELINE_LABELS.tenant, PIPELINE_LABELS.reason],
            t.pipelineLossFor,
            {
                summary: "Tempo discards spans ({{ $labels.reason }})",
                description:
                    `Tempo has been discarding spans of tenant {{ $labels.tenant }} for ${t.pipelineLossFor} ` +
                    `(${PER_SECOND} spans/s, reason {{ $labels.reason }}): they are lost. rate_limited or live_traces_exceeded: ` +
                    "raise Tempo's overrides (ingestion rate, max live traces); trace_too_large: an application writes huge traces.",
            },
        ),
    ];
}

/** The rule groups for what is installed; a subsystem that is not installed contributes no rule. */
export function alertRuleGroups({ thresholds, installed }: AlertRulesInput): AlertRuleGroup[] {
    const groups: AlertRuleGroup[] = [
        { name: "gpu-observability.gpus", rules: installed.dcgmExporter ? gpuRules(thresholds, installed.dcgmExporter.job) : [] },
        {
            name: "gpu-observability.telemetry-pipeline",
            rules: [
                ...(installed.otelCollector ? collectorRules(thresholds) : []),
                ...(installed.promtail ? promtailRules(thresholds) : []),
                ...(installed.alloy ? alloyRules(thresholds) : []),
                ...(installed.loki ? lokiRules(thresholds) : []),
                ...(installed.tempo ? tempoRules(thresholds) : []),
            ],
        },
    ];
    return groups.filter((group) => group.rules.length > 0);
}
