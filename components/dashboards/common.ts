// House style of the stack's dashboards: datasources, label selectors, PromQL helpers, variables
// and panel factories, so each dashboard file says only what it shows.

import * as cog from "@grafana/grafana-foundation-sdk/cog";
import * as common from "@grafana/grafana-foundation-sdk/common";
import * as dashboard from "@grafana/grafana-foundation-sdk/dashboard";
import { PanelBuilder as GaugeBuilder } from "@grafana/grafana-foundation-sdk/gauge";
import * as loki from "@grafana/grafana-foundation-sdk/loki";
import * as prometheus from "@grafana/grafana-foundation-sdk/prometheus";
import { PanelBuilder as StatBuilder } from "@grafana/grafana-foundation-sdk/stat";
import { PanelBuilder as TableBuilder } from "@grafana/grafana-foundation-sdk/table";
import * as tempo from "@grafana/grafana-foundation-sdk/tempo";
import { PanelBuilder as TimeseriesBuilder } from "@grafana/grafana-foundation-sdk/timeseries";
import { DATASOURCE_UIDS } from "../datasources";

/** A dashboard ready to provision: the sidecar puts `json` into `folder`. */
export interface DashboardSpec {
    uid: string;
    title: string;
    folder: string;
    json: dashboard.Dashboard;
}

/** What identifies a dashboard: fixed, so links and bookmarks survive every redeploy. */
export interface DashboardMeta {
    uid: string;
    title: string;
    folder: string;
    description: string;
    tags: string[];
}

// ---- Datasources ------------------------------------------------------------------------------

/** Metric panels query the `$datasource` variable, which defaults to the stack's Prometheus. */
export const DATASOURCE_VARIABLE = "datasource";
export const PROMETHEUS: common.DataSourceRef = { type: "prometheus", uid: `\${${DATASOURCE_VARIABLE}}` };
export const LOKI: common.DataSourceRef = { type: "loki", uid: DATASOURCE_UIDS.loki };
export const TEMPO: common.DataSourceRef = { type: "tempo", uid: DATASOURCE_UIDS.tempo };

// ---- Label selectors: built once per dashboard, not copied into every query --------------------

export type MatchOp = "=" | "!=" | "=~" | "!~";

export interface Matcher {
    label: string;
    op: MatchOp;
    value: string;
}

export const eq = (label: string, value: string): Matcher => ({ label, op: "=", value });
export const ne = (label: string, value: string): Matcher => ({ label, op: "!=", value });
export const re = (label: string, value: string): Matcher => ({ label, op: "=~", value });
export const nre = (label: string, value: string): Matcher => ({ label, op: "!~", value });
/** A regex matching any of the given literal values (values without regex metacharacters). */
export const anyOf = (label: string, values: readonly string[]): Matcher => re(label, values.join("|"));

/** An immutable set of label matchers: `selector(...).series(metric)` writes `metric{...}`. */
export class Selector {
    private constructor(private readonly matchers: readonly Matcher[]) {}

    static of(...matchers: Matcher[]): Selector {
        return new Selector(matchers);
    }

    /** This selector narrowed by more matchers. */
    and(...more: Matcher[]): Selector {
        return new Selector([...this.matchers, ...more]);
    }

    /** `metric{label="value",...}`; the bare metric name when there is no matcher. */
    series(metric: string): string {
        return this.matchers.length === 0 ? metric : `${metric}{${this.toString()}}`;
    }

    /** The matchers, comma separated, without braces (as LogQL stream selectors and label_values take them too). */
    toString(): string {
        // JSON string syntax is PromQL's and LogQL's double-quoted string syntax for these values.
        return this.matchers.map((m) => `${m.label}${m.op}${JSON.stringify(m.value)}`).join(", ");
    }
}

export const selector = Selector.of;

// ---- PromQL helpers -------------------------------------------------------------------------

/** Grafana's rate window: at least four scrape intervals, so a rate never spans a single sample. */
export const RATE_INTERVAL = "$__rate_interval";
/** The dashboard's whole time range, for totals and averages over it. */
export const RANGE = "$__range";

export const rate = (series: string, window = RATE_INTERVAL) => `rate(${series}[${window}])`;
export const increase = (series: string, window = RANGE) => `increase(${series}[${window}])`;
export const avgOverTime = (series: string, window = RANGE) => `avg_over_time(${series}[${window}])`;

type Aggregation = "sum" | "avg" | "max" | "min" | "count";
/** `op by (labels) (expr)`, or `op(expr)` over everything. */
export const aggregate = (op: Aggregation, expr: string, by: readonly string[] = []) =>
    by.length === 0 ? `${op}(${expr})` : `${op} by (${by.join(", ")}) (${expr})`;
export const sumBy = (by: readonly string[], expr: string) => aggregate("sum", expr, by);
/** 0 instead of no data when nothing matches, so "none" reads as a number; parenthesised, as `or` binds last. */
export const orZero = (expr: string) => `(${expr} or vector(0))`;

// ---- Variables ------------------------------------------------------------------------------

/** `$datasource`: any Prometheus, the stack's own by default. */
export function datasourceVariable(): dashboard.DatasourceVariableBuilder {
    return new dashboard.DatasourceVariableBuilder(DATASOURCE_VARIABLE)
        .label("Prometheus")
        .description("The Prometheus the metric panels query.")
        .type("prometheus")
        .current({ selected: true, text: "Prometheus", value: DATASOURCE_UIDS.prometheus });
}

/** A variable over the values of one series label, which it then filters by. */
export interface LabelVariable {
    /** Referenced as `$name` in queries. */
    name: string;
    label: string;
    description: string;
    /** The series label its values come from and that it filters. */
    labelName: string;
    /** `metric{...}` the values are read from. */
    source: string;
}

/**
 * A multi-value variable over `label_values(source, labelName)`. "All" is the regex `.*`, not the
 * list of values: it also matches series without the label (idle GPUs have no pod or namespace).
 */
export function labelVariable(variable: LabelVariable): dashboard.QueryVariableBuilder {
    const query = `label_values(${variable.source}, ${variable.labelName})`;
    return new dashboard.QueryVariableBuilder(variable.name)
        .label(variable.label)
        .description(variable.description)
        .datasource(PROMETHEUS)
        .query(query)
        .definition(query)
        .refresh(dashboard.VariableRefresh.OnTimeRangeChanged)
        .sort(dashboard.VariableSort.AlphabeticalCaseInsensitiveAsc)
        .multi(true)
        .includeAll(true)
        .allValue(".*")
        .current({ selected: true, text: "All", value: "$__all" });
}

/** The matcher a label variable filters by: `labelName=~"$name"`. */
export const matches = (variable: LabelVariable): Matcher => re(variable.labelName, `$${variable.name}`);

// ---- Dashboard -----------------------------------------------------------------------------

/** A dashboard with the house defaults, `$datasource` and the given variables; its panels are added by the caller. */
export function stackDashboard(meta: DashboardMeta, variables: cog.Builder<dashboard.VariableModel>[]): dashboard.DashboardBuilder {
    return (
        new dashboard.DashboardBuilder(meta.title)
            .uid(meta.uid)
            .description(meta.description)
            .tags(["gpu-observability", ...meta.tags])
            .timezone("browser")
            .time({ from: "now-6h", to: "now" })
            .refresh("1m")
            .tooltip(dashboard.DashboardCursorSync.Crosshair)
            // Grafana's own annotations and alerts, which a dashboard made in the UI has by default.
            .annotation(
                new dashboard.AnnotationQueryBuilder()
                    .name("Annotations & Alerts")
                    .builtIn(1)
                    .datasource({ type: "grafana", uid: "-- Grafana --" })
                    .enable(true)
                    .hide(true)
                    .iconColor("rgba(0, 211, 255, 1)")
                    .type("dashboard"),
            )
            .variables([datasourceVariable(), ...variables])
    );
}

/**
 * The built dashboard, its panels numbered in order: the SDK leaves panel ids unset (rows all get
 * 0), and a fixed id keeps a link to one panel (`?viewPanel=<id>`) valid across redeploys.
 */
export function toSpec(meta: DashboardMeta, builder: dashboard.DashboardBuilder): DashboardSpec {
    const json = builder.build();
    (json.panels ?? []).forEach((panel, i) => {
        panel.id = i + 1;
    });
    return { uid: meta.uid, title: meta.title, folder: meta.folder, json };
}

// ---- Queries -------------------------------------------------------------------------------

/** A Prometheus range query; `legend` uses `{{label}}` templates. */
export function query(expr: string, legend: string): prometheus.DataqueryBuilder {
    return new prometheus.DataqueryBuilder().datasource(PROMETHEUS).expr(expr).legendFormat(legend).range();
}

/** A Prometheus instant query as a table: one row per series, one column per label. */
export function tableQuery(expr: string, refId: string): prometheus.DataqueryBuilder {
    return new prometheus.DataqueryBuilder()
        .datasource(PROMETHEUS)
        .expr(expr)
        .instant()
        .format(prometheus.PromQueryFormat.Table)
        .refId(refId);
}

/** A Loki query of log lines (or, for a metric query, of a time series). */
export function logQuery(expr: string, legend = ""): loki.DataqueryBuilder {
    return new loki.DataqueryBuilder().datasource(LOKI).expr(expr).legendFormat(legend).queryType("range");
}

/** A Tempo TraceQL search, listing the matching traces; each trace id opens the trace. */
export function traceQuery(traceql: string, limit = 20): tempo.DataqueryBuilder {
    return new tempo.DataqueryBuilder()
        .datasource(TEMPO)
        .queryType(tempo.TempoQueryType.Traceql)
        .query(traceql)
        .limit(limit)
        .tableType(tempo.SearchTableType.Traces);
}

/**
 * A data link opening Explore on Tempo with a TraceQL query, over the dashboard's time range.
 * Grafana variables in `traceql` (`${__field.labels.service}`) stay as they are: Grafana fills them
 * in and percent-encodes their values when the link is clicked (link_srv.ts, UriEncode).
 */
export function tracesLink(title: string, traceql: string): dashboard.DashboardLinkBuilder {
    const panes = {
        traces: {
            datasource: TEMPO.uid,
            queries: [{ refId: "A", datasource: TEMPO, queryType: tempo.TempoQueryType.Traceql, query: traceql, limit: 20 }],
            range: { from: "${__from}", to: "${__to}" },
        },
    };
    const encoded = JSON.stringify(panes)
        .split(/(\$\{[^}]+\})/)
        .map((part, i) => (i % 2 === 1 ? part : encodeURIComponent(part)))
        .join("");
    return new dashboard.DashboardLinkBuilder(title).url(`/explore?schemaVersion=1&orgId=1&panes=${encoded}`).targetBlank(true);
}

// ---- Panels --------------------------------------------------------------------------------

/** What every panel states: its title, what it shows and why (the description), and its unit. */
export interface PanelText {
    title: string;
    description: string;
    unit: string;
}

export type Steps = [value: number | null, color: string][];

export const thresholds = (steps: Steps) =>
    new dashboard.ThresholdsConfigBuilder()
        .mode(dashboard.ThresholdsMode.Absolute)
        .steps(steps.map(([value, color]) => ({ value, color })));

/** Green, then red from the first non-zero value: for counts of things that should be zero. */
export const ZERO_IS_GOOD: Steps = [
    [null, "green"],
    [1, "red"],
];

/**
 * A time series panel of Prometheus queries (or of another datasource's, set with `.datasource()`):
 * lines, a legend below, the tooltip listing every series, largest first.
 */
export function timeseries(text: PanelText, ...queries: cog.Builder<cog.Dataquery>[]): TimeseriesBuilder {
    return new TimeseriesBuilder()
        .title(text.title)
        .description(text.description)
        .unit(text.unit)
        .datasource(PROMETHEUS)
        .targets(queries)
        .span(12)
        .height(8)
        .lineWidth(1)
        .fillOpacity(10)
        .showPoints(common.VisibilityMode.Never)
        .spanNulls(false)
        .legend(
            new common.VizLegendOptionsBuilder()
                .showLegend(true)
                .placement(common.LegendPlacement.Bottom)
                .displayMode(common.LegendDisplayMode.List),
        )
        .tooltip(new common.VizTooltipOptionsBuilder().mode(common.TooltipDisplayMode.Multi).sort(common.SortOrder.Descending));
}

/** A single number: the last value of one query, coloured by `steps`. */
export function stat(text: PanelText, expr: string, steps: Steps = [[null, "green"]]): StatBuilder {
    return new StatBuilder()
        .title(text.title)
        .description(text.description)
        .unit(text.unit)
        .datasource(PROMETHEUS)
        .withTarget(query(expr, text.title).instant())
        .span(4)
        .height(4)
        .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(["lastNotNull"]))
        .colorMode(common.BigValueColorMode.Value)
        .graphMode(common.BigValueGraphMode.None)
        .thresholds(thresholds(steps));
}

/** A gauge per series (e.g. per exporter), of the last value, between 0 and `max`. */
export function gauge(text: PanelText, expr: string, legend: string, steps: Steps, max: number): GaugeBuilder {
    return new GaugeBuilder()
        .title(text.title)
        .description(text.description)
        .unit(text.unit)
        .datasource(PROMETHEUS)
        .withTarget(query(expr, legend).instant())
        .span(6)
        .height(8)
        .min(0)
        .max(max)
        .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(["lastNotNull"]))
        .thresholds(thresholds(steps));
}

/** A table column: a PromQL expression whose value, per label set, fills the column. */
export interface Column {
    title: string;
    expr: string;
    unit: string;
}

/**
 * A table of instant queries, one value column each, joined on their labels (Grafana's merge
 * transformation); the time column is hidden.
 */
export function table(text: Omit<PanelText, "unit">, columns: Column[]): TableBuilder {
    const refIds = columns.map((_, i) => String.fromCharCode("A".charCodeAt(0) + i));
    // Grafana names a lone query's value column "Value", several queries' "Value #<refId>".
    const valueField = (refId: string) => (columns.length === 1 ? "Value" : `Value #${refId}`);
    const builder = new TableBuilder()
        .title(text.title)
        .description(text.description)
        .datasource(PROMETHEUS)
        .targets(columns.map((column, i) => tableQuery(column.expr, refIds[i])))
        .span(24)
        .height(8)
        .withTransformation({ id: "merge", options: {} })
        .withTransformation({
            id: "organize",
            options: {
                excludeByName: { Time: true },
                renameByName: Object.fromEntries(columns.map((column, i) => [valueField(refIds[i]), column.title])),
            },
        });
    for (const column of columns) builder.overrideByName(column.title, [{ id: "unit", value: column.unit }]);
    return builder;
}

/** A table of the traces a TraceQL search finds, newest first; a click on a trace id opens it. */
export function tracesTable(text: Omit<PanelText, "unit">, traceql: string): TableBuilder {
    return new TableBuilder()
        .title(text.title)
        .description(text.description)
        .datasource(TEMPO)
        .withTarget(traceQuery(traceql))
        .span(12)
        .height(8);
}
