// Every metric and label the dashboards and alert rules use, named once, with where it comes
// from. A test checks each DCGM field against the counter list the exporter is configured with.

/** DCGM exporter fields (series are named after the field), from config/dcgmCounters.ts. */
export const DCGM = {
    gpuUtil: "DCGM_FI_DEV_GPU_UTIL",
    memCopyUtil: "DCGM_FI_DEV_MEM_COPY_UTIL",
    fbUsed: "DCGM_FI_DEV_FB_USED",
    fbFree: "DCGM_FI_DEV_FB_FREE",
    gpuTemp: "DCGM_FI_DEV_GPU_TEMP",
    memoryTemp: "DCGM_FI_DEV_MEMORY_TEMP",
    powerUsage: "DCGM_FI_DEV_POWER_USAGE",
    smClock: "DCGM_FI_DEV_SM_CLOCK",
    memClock: "DCGM_FI_DEV_MEM_CLOCK",
    xidErrors: "DCGM_FI_DEV_XID_ERRORS",
    grEngineActive: "DCGM_FI_PROF_GR_ENGINE_ACTIVE",
    tensorActive: "DCGM_FI_PROF_PIPE_TENSOR_ACTIVE",
    rowRemapFailure: "DCGM_FI_DEV_ROW_REMAP_FAILURE",
} as const;

/**
 * Labels on DCGM series, as dcgm-exporter 4.5.3-4.8.2 writes them: `gpu` (index), `UUID`,
 * `device` (nvidia0...), `modelName`, `Hostname` (the node name; renamed `hostname` after 4.8.2),
 * and `pod`, `namespace`, `container` of the workload using the GPU (kept by honorLabels). Our
 * ServiceMonitor adds `node` from the scraped pod's node.
 */
export const DCGM_LABELS = {
    gpu: "gpu",
    uuid: "UUID",
    model: "modelName",
    hostname: "Hostname",
    node: "node",
    pod: "pod",
    namespace: "namespace",
    container: "container",
} as const;

/**
 * The DCGM exporter labels its XID series with the code and NVIDIA's text for it (dcgm-exporter#309,
 * in 3.3.6 and later).
 */
export const DCGM_XID_LABELS = { code: "err_code", message: "err_msg" } as const;

/** Prometheus' own per-target health series: 1 when the last scrape succeeded. */
export const PROMETHEUS = { up: "up" } as const;

/** kube-state-metrics (v2.x): GPUs are requested as the extended resource nvidia.com/gpu. */
export const KUBE_STATE_METRICS = {
    containerResourceRequests: "kube_pod_container_resource_requests",
    nodeAllocatable: "kube_node_status_allocatable",
    podOwner: "kube_pod_owner",
    podStatusPhase: "kube_pod_status_phase",
    /** `resource` label value of nvidia.com/gpu (kube-state-metrics sanitizes '.' and '/'). */
    gpuResource: "nvidia_com_gpu",
} as const;

/** Tempo's metrics generator: span metrics (labels service, span_name, span_kind, status_code) and service graphs (client, server). */
export const SPAN_METRICS = {
    calls: "traces_spanmetrics_calls_total",
    latencyBucket: "traces_spanmetrics_latency_bucket",
    latencyCount: "traces_spanmetrics_latency_count",
    latencySum: "traces_spanmetrics_latency_sum",
    serviceGraphRequests: "traces_service_graph_request_total",
    serviceGraphFailed: "traces_service_graph_request_failed_total",
    serviceGraphServerSecondsBucket: "traces_service_graph_request_server_seconds_bucket",
    /** status_code value of a failed span. */
    errorStatus: "STATUS_CODE_ERROR",
} as const;

/** The telemetry pipeline's own metrics: what each hop received, refused, dropped or failed to send. */
export const PIPELINE = {
    promtail: {
        readLines: "promtail_read_lines_total",
        sentEntries: "promtail_sent_entries_total",
        droppedEntries: "promtail_dropped_entries_total",
        requestDurationCount: "promtail_request_duration_seconds_count",
    },
    /** Grafana Alloy's loki.write and loki.source.file components (same host, tenant and reason labels as Promtail's client). */
    alloy: {
        readLines: "loki_source_file_read_lines_total",
        sentEntries: "loki_write_sent_entries_total",
        droppedEntries: "loki_write_dropped_entries_total",
        requestDurationCount: "loki_write_request_duration_seconds_count",
    },
    /** Collector internal telemetry (OTel SDK Prometheus exporter: counters end in _total). */
    otelCollector: {
        receiverAcceptedSpans: "otelcol_receiver_accepted_spans_total",
        receiverRefusedSpans: "otelcol_receiver_refused_spans_total",
        exporterSentSpans: "otelcol_exporter_sent_spans_total",
        exporterSendFailedSpans: "otelcol_exporter_send_failed_spans_total",
        exporterEnqueueFailedSpans: "otelcol_exporter_enqueue_failed_spans_total",
        exporterQueueSize: "otelcol_exporter_queue_size",
        exporterQueueCapacity: "otelcol_exporter_queue_capacity",
    },
    loki: {
        linesReceived: "loki_distributor_lines_received_total",
        bytesReceived: "loki_distributor_bytes_received_total",
        discardedSamples: "loki_discarded_samples_total",
    },
    tempo: {
        spansReceived: "tempo_distributor_spans_received_total",
        discardedSpans: "tempo_discarded_spans_total",
        /** Spans into the metrics generator, and those that never became span metrics (tempo modules/generator/instance.go). */
        generatorSpansReceived: "tempo_metrics_generator_spans_received_total",
        generatorSpansDiscarded: "tempo_metrics_generator_spans_discarded_total",
    },
} as const;

/**
 * Labels of the pipeline metrics, as their sources register them: the collector's exporterhelper
 * and receiverhelper (`exporter`, `receiver`, `transport`), Promtail's client (`host` of the Loki
 * URL, `tenant`, `reason`, `status_code` of a push, "-1" when none came back), Loki's and Tempo's
 * validation (`tenant`, `reason`); `namespace` and `pod` are the target labels every
 * ServiceMonitor-scraped series gets, `container` the log stream label Promtail sets.
 */
export const PIPELINE_LABELS = {
    namespace: "namespace",
    pod: "pod",
    container: "container",
    exporter: "exporter",
    receiver: "receiver",
    transport: "transport",
    lokiHost: "host",
    tenant: "tenant",
    reason: "reason",
    statusCode: "status_code",
} as const;
