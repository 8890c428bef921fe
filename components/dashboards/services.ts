// Services: rate, errors and duration of every traced service, from the span metrics Tempo's
// metrics generator writes to Prometheus, with the way into the traces behind each number.

import * as dashboard from "@grafana/grafana-foundation-sdk/dashboard";
import * as units from "@grafana/grafana-foundation-sdk/units";
import { SPAN_METRICS } from "../metricNames";
import {
    anyOf,
    DashboardMeta,
    DashboardSpec,
    eq,
    labelVariable,
    LabelVariable,
    matches,
    query,
    rate,
    re,
    selector,
    stackDashboard,
    sumBy,
    timeseries,
    toSpec,
    tracesLink,
    tracesTable,
} from "./common";
import { ENTRY_SPAN_KINDS, SPAN_LABELS as S } from "./names";

export const SERVICES: DashboardMeta = {
    uid: "services-red",
    title: "Services",
    folder: "Services",
    description:
        "Request rate, errors and latency of every traced service (span metrics), the calls between services (service graph), and their traces.",
    tags: ["tempo", "traces", "red"],
};

export const SERVICE: LabelVariable = {
    name: "service",
    label: "Service",
    description: "Services that sent traces (the service.name resource attribute).",
    labelName: S.service,
    source: SPAN_METRICS.calls,
};

/** Requests into the selected services: server and consumer spans, each request counted once. */
const entrySpans = selector(matches(SERVICE), anyOf(S.spanKind, ENTRY_SPAN_KINDS));
const failedEntrySpans = entrySpans.and(eq(S.statusCode, SPAN_METRICS.errorStatus));
const BY_SERVICE = [S.service];
const PERCENTILES = [0.5, 0.95, 0.99] as const;

// TraceQL: `${service:pipe}` is the selected values as one alternation, ".*" for All (a custom
// allValue is never formatted). Not `:regex`: its backslash escapes are not TraceQL string escapes.
const SELECTED_SERVICES = `resource.service.name=~"\${${SERVICE.name}:pipe}"`;
const ERROR = "status=error";
// In a data link, the service of the series clicked.
const CLICKED_SERVICE = `resource.service.name="\${__field.labels.${S.service}}"`;

/** Request rate, error ratio and latency per service. */
function red(builder: dashboard.DashboardBuilder): dashboard.DashboardBuilder {
    const calls = (s: typeof entrySpans) => sumBy(BY_SERVICE, rate(s.series(SPAN_METRICS.calls)));
    const toTraces = tracesLink("Traces of ${__field.labels.service}", `{${CLICKED_SERVICE}}`);
    const toErrorTraces = tracesLink("Failed traces of ${__field.labels.service}", `{${CLICKED_SERVICE} && ${ERROR}}`);
    return builder
        .withRow(new dashboard.RowBuilder("Rate, errors, duration"))
        .withPanel(
            timeseries(
                {
                    title: "Request rate",
                    description:
                        "Requests each service serves per second: its server and consumer spans. Click a series to open its traces in Tempo.",
                    unit: units.RequestsPerSecond,
                },
                query(calls(entrySpans), `{{${S.service}}}`),
            )
                .dataLinks([toTraces])
                .span(8),
        )
        .withPanel(
            timeseries(
                {
                    title: "Error ratio",
                    description:
                        "Share of each service's requests whose span ended with status ERROR. Click a series to open its failed traces in Tempo.",
                    unit: units.PercentUnit,
                },
                query(`${calls(failedEntrySpans)} / ${calls(entrySpans)}`, `{{${S.service}}}`),
            )
                .min(0)
                .dataLinks([toErrorTraces])
                .span(8),
        )
        .withPanel(
            timeseries(
                {
                    title: "Latency p50 / p95 / p99",
                    description:
                        "Request duration percentiles per service, from the span-duration histogram. The dots are exemplars: click one to open the very trace it was measured on.",
                    unit: units.Seconds,
                },
                ...PERCENTILES.map((q) =>
                    query(
                        `histogram_quantile(${q}, ${sumBy([...BY_SERVICE, "le"], rate(entrySpans.series(SPAN_METRICS.latencyBucket)))})`,
                        `{{${S.service}}} p${Math.round(q * 100)}`,
                    ).exemplar(true),
                ),
            )
                .dataLinks([toTraces])
                .span(8),
        );
}

/** Requests between services, from the service graph's client/server edges. */
function serviceGraph(builder: dashboard.DashboardBuilder): dashboard.DashboardBuilder {
    // An edge concerns the selected services when either end is one of them; a selector cannot say "or".
    const edges = (metric: string) =>
        [S.client, S.server]
            .map((end) => sumBy([S.client, S.server], rate(selector(re(end, `$${SERVICE.name}`)).series(metric))))
            .join(" or ");
    const EDGE_LEGEND = `{{${S.client}}} → {{${S.server}}}`;
    return builder
        .withRow(new dashboard.RowBuilder("Service graph"))
        .withPanel(
            timeseries(
                {
                    title: "Requests between services",
                    description:
                        "Calls per second from each client service to each server service, where either is selected (Tempo's service graph).",
                    unit: units.RequestsPerSecond,
                },
                query(edges(SPAN_METRICS.serviceGraphRequests), EDGE_LEGEND),
            ),
        )
        .withPanel(
            timeseries(
                {
                    title: "Failed requests between services",
                    description: "Calls per second between two services that failed on either side.",
                    unit: units.RequestsPerSecond,
                },
                query(edges(SPAN_METRICS.serviceGraphFailed), EDGE_LEGEND),
            ),
        );
}

/** The traces themselves, straight from Tempo. */
function traces(builder: dashboard.DashboardBuilder): dashboard.DashboardBuilder {
    return builder
        .withRow(new dashboard.RowBuilder("Traces"))
        .withPanel(
            tracesTable(
                {
                    title: "Recent traces",
                    description: "The latest traces of the selected services, from Tempo; click a trace id to open it.",
                },
                `{${SELECTED_SERVICES}}`,
            ),
        )
        .withPanel(
            tracesTable(
                {
                    title: "Recent failed traces",
                    description: "The latest traces of the selected services with a span in status ERROR, from Tempo.",
                },
                `{${SELECTED_SERVICES} && ${ERROR}}`,
            ),
        );
}

/** The Services dashboard; its variables: datasource, service. */
export function servicesDashboard(): DashboardSpec {
    const builder = stackDashboard(SERVICES, [labelVariable(SERVICE)]);
    return toSpec(
        SERVICES,
        [red, serviceGraph, traces].reduce((b, section) => section(b), builder),
    );
}
