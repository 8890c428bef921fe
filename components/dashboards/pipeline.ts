// Observability pipeline health: what each hop of the telemetry pipeline received, refused,
// dropped or failed to send, so that losing logs or spans is never silent.

import * as common from "@grafana/grafana-foundation-sdk/common";
import * as dashboard from "@grafana/grafana-foundation-sdk/dashboard";
import { PanelBuilder as LogsBuilder } from "@grafana/grafana-foundation-sdk/logs";
import * as units from "@grafana/grafana-foundation-sdk/units";
import { LOKI_MODES, LokiMode } from "../../config/loki";
import { TEMPO_MODES, TempoMode } from "../../config/tempo";
import { LOKI_CONTAINERS } from "../loki";
import { PIPELINE, PIPELINE_LABELS as P } from "../metricNames";
import { TEMPO_TARGETS } from "../tempo";

import {
    aggregate,
    anyOf,
    DashboardMeta,
    DashboardSpec,
    eq,
    gauge,
    increase,
    LOKI,
    logQuery,
    nre,
    orZero,
    query,
    rate,
    selector,
    stackDashboard,
    stat,
    sumBy,
    timeseries,
    toSpec,
    ZERO_IS_GOOD,
} from "./common";

export const PIPELINE_HEALTH: DashboardMeta = {
    uid: "observability-pipeline",
    title: "Observability pipeline",
    folder: "Observability",
    description:
        "Logs and spans received, refused, dropped and failed at every hop: Promtail, the OTel Collector, Loki and Tempo, and the errors they log.",
    tags: ["observability", "loki", "tempo", "promtail", "otel-collector"],
};

/** Which parts of the pipeline are installed, and where. */
export interface PipelineComponents {
    /** Namespace of the pipeline's pods: the default of the dashboard's `$namespace` variable. */
    namespace: string;
    /** Prometheus scrapes the pipeline's metrics (every metric panel needs it). */
    metrics: boolean;
    promtail: boolean;
    alloy: boolean;
    otelCollector: boolean;
    loki: boolean;
    tempo: boolean;
    /**
     * The modes Loki and Tempo run in, which name their containers. Unset (a program of its own
     * that does not say): the containers of every mode, so the error logs miss none.
     */
    modes?: { loki: LokiMode; tempo: TempoMode };
}

type Component = Exclude<keyof PipelineComponents, "namespace" | "metrics" | "modes">;

/** Names of Tempo's containers in each mode. */
const TEMPO_CONTAINERS: Readonly<Record<TempoMode, readonly string[]>> = {
    monolithic: ["tempo"], // grafana-community/tempo templates/statefulset.yaml
    // tempo-distributed templates/_pod.tpl names the container after its -target, which is each
    // component's TEMPO_TARGETS name. The metrics generator's stays in the list when it is off
    // (no Prometheus): a name no container has matches nothing.
    distributed: Object.values(TEMPO_TARGETS),
};

/** Container names of each component's pods, as its chart writes them (the shipper's `container` log label). */
function containers(c: PipelineComponents): Record<Component, readonly string[]> {
    const lokiModes = c.modes ? [c.modes.loki] : LOKI_MODES;
    const tempoModes = c.modes ? [c.modes.tempo] : TEMPO_MODES;
    return {
        promtail: ["promtail"], // grafana/promtail templates/_pod.tpl
        alloy: ["alloy"], // grafana/alloy templates/containers/_agent.yaml
        otelCollector: ["opentelemetry-collector"], // open-telemetry/opentelemetry-collector templates/_pod.tpl: the chart name
        loki: lokiModes.flatMap((mode) => LOKI_CONTAINERS[mode]),
        tempo: tempoModes.flatMap((mode) => TEMPO_CONTAINERS[mode]),
    };
}

const NAMESPACE = "namespace";
/** Series of the pipeline's own pods: ServiceMonitors label every target with its pod's namespace. */
const own = selector(eq(P.namespace, `$${NAMESPACE}`));
const perSecond = (metric: string, by: string[] = []) => sumBy(by, rate(own.series(metric)));
// A counter Loki or Tempo creates on its first discard starts above 0, and increase() misses that
// first step: the rate panels below still show it.
const overRange = (metric: string) => orZero(aggregate("sum", increase(own.series(metric))));
const sumOf = (terms: string[]) => terms.join(" + ");

const promtail = PIPELINE.promtail;
const alloy = PIPELINE.alloy;
const otel = PIPELINE.otelCollector;
const loki = PIPELINE.loki;
const tempo = PIPELINE.tempo;

type Section = (b: dashboard.DashboardBuilder) => dashboard.DashboardBuilder;

/** Totals lost over the time range, of the installed hops: the first thing to look at. */
function losses(c: PipelineComponents): Section {
    const logTerms = [
        ...(c.promtail ? [overRange(promtail.droppedEntries)] : []),
        ...(c.alloy ? [overRange(alloy.droppedEntries)] : []),
        ...(c.loki ? [overRange(loki.discardedSamples)] : []),
    ];
    const spanTerms = [
        ...(c.otelCollector
            ? [overRange(otel.receiverRefusedSpans), overRange(otel.exporterSendFailedSpans), overRange(otel.exporterEnqueueFailedSpans)]
            : []),
        ...(c.tempo ? [overRange(tempo.discardedSpans)] : []),
    ];
    return (b) => {
        b = b.withRow(new dashboard.RowBuilder("Telemetry lost over the range"));
        if (logTerms.length > 0) {
            b = b.withPanel(
                stat(
                    {
                        title: "Log entries lost",
                        description:
                            "Log entries the log shipper dropped plus lines Loki discarded, over the time range (a line Loki refuses counts at both). Should be 0.",
                        unit: units.Short,
                    },
                    sumOf(logTerms),
                    ZERO_IS_GOOD,
                ).span(12),
            );
        }
        if (spanTerms.length > 0) {
            b = b.withPanel(
                stat(
                    {
                        title: "Spans lost",
                        description:
                            "Spans the collector refused or could not send or enqueue, plus spans Tempo discarded, over the time range. Should be 0.",
                        unit: units.Short,
                    },
                    sumOf(spanTerms),
                    ZERO_IS_GOOD,
                ).span(12),
            );
        }
        return b;
    };
}

/** The metrics a log shipper's row charts: Promtail's client and Alloy's loki.write share their labels. */
interface ShipperMetrics {
    readLines: string;
    sentEntries: string;
    droppedEntries: string;
    requestDurationCount: string;
}

/** The log shipper's row: what it read, sent, dropped, and the pushes Loki refused. */
const shipperRow =
    (name: string, metrics: ShipperMetrics): Section =>
    (b) =>
        b
            .withRow(new dashboard.RowBuilder(`Log shipper (${name})`))
            .withPanel(
                timeseries(
                    {
                        title: "Log lines read and sent",
                        description: `Lines ${name} read from pod log files and entries it delivered to Loki. Sent falling behind read means a backlog.`,
                        unit: units.CountsPerSecond,
                    },
                    query(perSecond(metrics.readLines), "read"),
                    query(perSecond(metrics.sentEntries), "sent"),
                ).span(8),
            )
            .withPanel(
                timeseries(
                    {
                        title: "Log entries dropped",
                        description: `Entries ${name} gave up on, by reason (rate limited by Loki, stream limit, line too long, or failed after every retry).`,
                        unit: units.CountsPerSecond,
                    },
                    query(perSecond(metrics.droppedEntries, [P.reason]), `{{${P.reason}}}`),
                ).span(8),
            )
            .withPanel(
                timeseries(
                    {
                        title: "Failed pushes to Loki",
                        description: `Push requests Loki did not accept, by HTTP status (-1: no answer). ${name} retries 429 and 5xx, then drops the batch.`,
                        unit: units.RequestsPerSecond,
                    },
                    query(
                        sumBy([P.statusCode], rate(own.and(nre(P.statusCode, "2..")).series(metrics.requestDurationCount))),
                        `{{${P.statusCode}}}`,
                    ),
                ).span(8),
            );

const queueSize = aggregate("max", own.series(otel.exporterQueueSize), [P.exporter]);
const queueCapacity = aggregate("max", own.series(otel.exporterQueueCapacity), [P.exporter]);

const otelCollectorRow: Section = (b) =>
    b
        .withRow(new dashboard.RowBuilder("OpenTelemetry Collector"))
        .withPanel(
            timeseries(
                {
                    title: "Spans accepted and refused",
                    description:
                        "Spans the collector's receivers took in, and refused (the memory limiter pushing back, or a full pipeline), per receiver.",
                    unit: units.CountsPerSecond,
                },
                query(perSecond(otel.receiverAcceptedSpans, [P.receiver]), `{{${P.receiver}}} accepted`),
                query(perSecond(otel.receiverRefusedSpans, [P.receiver]), `{{${P.receiver}}} refused`),
            ),
        )
        .withPanel(
            timeseries(
                {
                    title: "Spans sent, failed and not enqueued",
                    description:
                        "Spans each exporter delivered, failed to deliver, and could not even queue (queue full): the last two are lost.",
                    unit: units.CountsPerSecond,
                },
                query(perSecond(otel.exporterSentSpans, [P.exporter]), `{{${P.exporter}}} sent`),
                query(perSecond(otel.exporterSendFailedSpans, [P.exporter]), `{{${P.exporter}}} send failed`),
                query(perSecond(otel.exporterEnqueueFailedSpans, [P.exporter]), `{{${P.exporter}}} enqueue failed`),
            ),
        )
        .withPanel(
            timeseries(
                {
                    title: "Export queue size and capacity",
                    description:
                        "Batches waiting in each exporter's sending queue against its capacity. A queue that grows means the backend (Tempo) is slow or away.",
                    unit: units.Short,
                },
                query(queueSize, `{{${P.exporter}}} size`),
                query(queueCapacity, `{{${P.exporter}}} capacity`),
            ).span(18),
        )
        .withPanel(
            gauge(
                {
                    title: "Export queue fill",
                    description: "Queue size over capacity per exporter; at 100% new spans are refused.",
                    unit: units.PercentUnit,
                },
                `${queueSize} / ${queueCapacity}`,
                `{{${P.exporter}}}`,
                [
                    [null, "green"],
                    [0.5, "orange"],
                    [0.8, "red"],
                ],
                1,
            ),
        );

const lokiRow: Section = (b) =>
    b
        .withRow(new dashboard.RowBuilder("Loki"))
        .withPanel(
            timeseries(
                { title: "Log lines received", description: "Lines Loki's distributor accepted, per tenant.", unit: units.CountsPerSecond },
                query(perSecond(loki.linesReceived, [P.tenant]), `{{${P.tenant}}}`),
            ),
        )
        .withPanel(
            timeseries(
                {
                    title: "Log lines discarded",
                    description:
                        "Lines Loki refused, by reason (rate_limited, per_stream_rate_limit, greater_than_max_sample_age, line_too_long, ...).",
                    unit: units.CountsPerSecond,
                },
                query(perSecond(loki.discardedSamples, [P.reason]), `{{${P.reason}}}`),
            ),
        );

const tempoRow: Section = (b) =>
    b
        .withRow(new dashboard.RowBuilder("Tempo"))
        .withPanel(
            timeseries(
                { title: "Spans received", description: "Spans Tempo's distributor received, per tenant.", unit: units.CountsPerSecond },
                query(perSecond(tempo.spansReceived, [P.tenant]), `{{${P.tenant}}}`),
            ).span(8),
        )
        .withPanel(
            timeseries(
                {
                    title: "Spans discarded",
                    description: "Spans Tempo refused, by reason (rate_limited, trace_too_large, live_traces_exceeded, ...).",
                    unit: units.CountsPerSecond,
                },
                query(perSecond(tempo.discardedSpans, [P.reason]), `{{${P.reason}}}`),
            ).span(8),
        )
        .withPanel(
            timeseries(
                {
                    title: "Spans into span metrics",
                    description:
                        "Spans the metrics generator received, and discarded by reason: discarded spans are missing from the Services dashboard.",
                    unit: units.CountsPerSecond,
                },
                query(perSecond(tempo.generatorSpansReceived), "received"),
                query(perSecond(tempo.generatorSpansDiscarded, [P.reason]), `discarded: {{${P.reason}}}`),
            ).span(8),
        );

/** Error lines of the installed pipeline components' own pods, from Loki. */
function errorLogs(c: PipelineComponents): Section {
    const byComponent = containers(c);
    const installed = (Object.keys(byComponent) as Component[])
        .filter((component) => c[component])
        .flatMap((component) => byComponent[component]);
    // Container names are literal (letters, digits and '-'), and LogQL anchors a regex at both ends:
    // "backend" matches Loki's backend target, not Tempo's backend-worker.
    const stream = `{${own.and(anyOf(P.container, installed))}}`;
    const errorLines = `${stream} |~ "(?i)error"`;
    return (b) =>
        b
            .withRow(new dashboard.RowBuilder("Errors logged by the pipeline"))
            .withPanel(
                timeseries(
                    {
                        title: "Error lines per component",
                        description: "Log lines containing 'error' per pipeline container, from Loki.",
                        unit: units.Short,
                    },
                    logQuery(`sum by (${P.container}) (count_over_time(${errorLines} [$__auto]))`, `{{${P.container}}}`),
                )
                    .datasource(LOKI)
                    .span(24),
            )
            .withPanel(
                new LogsBuilder()
                    .title("Error lines")
                    .description(
                        "The pipeline's own log lines containing 'error' (any case): why something above was refused, dropped or failed.",
                    )
                    .datasource(LOKI)
                    .withTarget(logQuery(errorLines))
                    .span(24)
                    .height(12)
                    .showTime(true)
                    .wrapLogMessage(true)
                    .enableLogDetails(true)
                    .sortOrder(common.LogsSortOrder.Descending),
            );
}

/** The observability pipeline dashboard, with a row per installed component; undefined when nothing of it is installed. */
export function pipelineDashboard(c: PipelineComponents): DashboardSpec | undefined {
    const metricRows: [boolean, Section][] = [
        [c.promtail, shipperRow("Promtail", promtail)],
        [c.alloy, shipperRow("Alloy", alloy)],
        [c.otelCollector, otelCollectorRow],
        [c.loki, lokiRow],
        [c.tempo, tempoRow],
    ];
    const sections = [
        ...(c.metrics && metricRows.some(([installed]) => installed) ? [losses(c)] : []),
        ...(c.metrics ? metricRows.filter(([installed]) => installed).map(([, row]) => row) : []),
        ...(c.loki ? [errorLogs(c)] : []),
    ];
    if (sections.length === 0) return undefined;
    const builder = stackDashboard(PIPELINE_HEALTH, [
        new dashboard.TextBoxVariableBuilder(NAMESPACE)
            .label("Namespace")
            .description("Namespace of the pipeline's pods (the stack's namespace).")
            .defaultValue(c.namespace)
            .current({ selected: true, text: c.namespace, value: c.namespace }),
    ]);
    return toSpec(
        PIPELINE_HEALTH,
        sections.reduce((b, section) => section(b), builder),
    );
}
