// The stack's dashboards: what they show, that every query is valid in its language and names only
// metrics the stack really produces, and how they reach Grafana.
import { parser as logqlParser } from "@grafana/lezer-logql";
import { parser as traceqlParser } from "@grafana/lezer-traceql";
import { parser as promqlParser } from "@prometheus-io/lezer-promql";
import type { LRParser } from "@lezer/lr";
import { DATASOURCE_UIDS } from "../components/datasources";
import { DASHBOARD_FOLDER_ANNOTATION, DASHBOARD_LABEL } from "../components/grafana";
import * as metricNames from "../components/metricNames";
import { DashboardSpec, stackDashboards, StackDashboardsInput } from "../components/dashboards";
import { dcgmCounterList, validateStackConfig } from "../config";
import { exampleStackConfig, ProgramRun, runIndex, runUserProgram } from "./helpers/run";

const EVERYTHING: StackDashboardsInput = {
    gpu: true,
    spanMetrics: true,
    pipeline: {
        namespace: "observability",
        metrics: true,
        promtail: true,
        alloy: false,
        otelCollector: true,
        loki: true,
        tempo: true,
        modes: { loki: "monolithic", tempo: "monolithic" },
    },
};
const ALL = stackDashboards(EVERYTHING);
const byUid = (uid: string, dashboards = ALL): any => dashboards.find((d) => d.uid === uid)?.json;

// ---- Reading the built JSON generically ------------------------------------------------------

/** Every panel, rows' nested panels included. */
const panelsOf = (json: any): any[] => (json.panels ?? []).flatMap((p: any) => [p, ...panelsOf(p)]);
const contentPanels = (json: any) => panelsOf(json).filter((p) => p.type !== "row");

type Language = "promql" | "logql" | "traceql";
const LANGUAGE_OF: Record<string, Language> = { prometheus: "promql", loki: "logql", tempo: "traceql" };
interface FoundQuery {
    language: Language;
    expr: string;
    datasourceUid: string;
}

/**
 * Every query anywhere in a dashboard: any object naming a datasource of a known type with an
 * `expr` or `query` (panel targets, query variables), and the queries inside Explore links.
 */
function queriesOf(json: unknown): FoundQuery[] {
    const found: FoundQuery[] = [];
    const visit = (node: unknown): void => {
        if (typeof node === "string") {
            if (node.includes("/explore?") && node.includes("panes="))
                visit(JSON.parse(new URLSearchParams(node.split("?")[1]).get("panes")!));
            return;
        }
        if (typeof node !== "object" || node === null) return;
        const o = node as Record<string, any>;
        const language = LANGUAGE_OF[o.datasource?.type];
        const text = o.expr ?? o.query;
        if (language && typeof text === "string") {
            // A Prometheus query variable's `label_values(selector, label)` is Grafana's, around a PromQL selector.
            const expr = text.replace(/^label_values\((.*),\s*\w+\)$/s, "$1");
            found.push({ language, expr, datasourceUid: o.datasource.uid });
        }
        Object.values(o).forEach(visit);
    };
    visit(json);
    return found;
}
const allQueries = (language: Language) => ALL.flatMap((d) => queriesOf(d.json).filter((q) => q.language === language));

const PARSERS: Record<Language, LRParser> = { promql: promqlParser, logql: logqlParser, traceql: traceqlParser };

/**
 * Grafana variables are not part of the query language: durations become 5m, any other variable a
 * plain word (every one of ours sits inside a quoted label value).
 */
const withSampleValues = (expr: string) =>
    expr.replace(/\$__(rate_interval|interval|range|auto)\b/g, "5m").replace(/\$\{[^}]+\}|\$[A-Za-z_]\w*/g, "sample");

/** The text of every error node the language's parser put into the tree; none for a valid query. */
function syntaxErrors(language: Language, expr: string): string[] {
    const text = withSampleValues(expr);
    const errors: string[] = [];
    PARSERS[language].parse(text).iterate({
        enter: (node) => {
            if (node.type.isError) errors.push(`at ${node.from}: ${JSON.stringify(text.slice(Math.max(0, node.from - 20), node.to + 20))}`);
        },
    });
    return errors;
}
const invalid = (language: Language) =>
    allQueries(language)
        .map((q) => ({ expr: q.expr, errors: syntaxErrors(language, q.expr) }))
        .filter((q) => q.errors.length > 0);

/** Metric names of every vector selector of a PromQL expression, from its syntax tree. */
function metricsIn(expr: string): string[] {
    const text = withSampleValues(expr);
    const names: string[] = [];
    promqlParser.parse(text).iterate({
        enter: (node) => {
            if (node.name === "Identifier" && node.node.parent?.name === "VectorSelector") names.push(text.slice(node.from, node.to));
        },
    });
    return names;
}
const METRICS_USED = [...new Set(allQueries("promql").flatMap((q) => metricsIn(q.expr)))].sort();

const stringsIn = (value: unknown): string[] =>
    typeof value === "string" ? [value] : typeof value === "object" && value !== null ? Object.values(value).flatMap(stringsIn) : [];

// ---- The dashboards ------------------------------------------------------------------------

describe("the stack's dashboards", () => {
    it("have fixed, unique uids", () => {
        expect(ALL.map((d) => d.uid)).toEqual(["gpu-fleet", "gpu-efficiency", "services-red", "observability-pipeline"]);
        expect(ALL.map((d) => d.json.uid)).toEqual(ALL.map((d) => d.uid));
    });

    it("go into the GPU, Services and Observability folders", () => {
        expect(Object.fromEntries(ALL.map((d) => [d.uid, d.folder]))).toEqual({
            "gpu-fleet": "GPU",
            "gpu-efficiency": "GPU",
            "services-red": "Services",
            "observability-pipeline": "Observability",
        });
    });

    it("number their panels uniquely, so a link to one panel stays valid", () => {
        for (const d of ALL) {
            const ids = panelsOf(d.json).map((p) => p.id);
            expect(ids.every((id) => id > 0)).toBe(true);
            expect(new Set(ids).size).toBe(ids.length);
        }
    });

    it("carry the project's tag", () => {
        for (const d of ALL) expect(d.json.tags).toContain("gpu-observability");
    });

    it("describe every panel", () => {
        const undescribed = ALL.flatMap((d) =>
            contentPanels(d.json)
                .filter((p) => !p.description?.trim())
                .map((p) => `${d.uid}: ${p.title}`),
        );
        expect(undescribed).toEqual([]);
    });

    it("state the unit of every chart and number", () => {
        const withoutUnit = ALL.flatMap((d) =>
            contentPanels(d.json)
                .filter((p) => ["timeseries", "stat", "gauge"].includes(p.type) && !p.fieldConfig?.defaults?.unit)
                .map((p) => `${d.uid}: ${p.title}`),
        );
        expect(withoutUnit).toEqual([]);
    });

    it("have a $datasource variable of type prometheus, defaulting to the stack's Prometheus", () => {
        for (const d of ALL) {
            expect(d.json.templating?.list?.find((v) => v.name === "datasource")).toMatchObject({
                type: "datasource",
                query: "prometheus",
                current: { value: DATASOURCE_UIDS.prometheus },
            });
        }
    });

    it.each([
        ["gpu-fleet", ["datasource", "node", "gpu", "namespace"]],
        ["gpu-efficiency", ["datasource", "namespace", "node"]],
        ["services-red", ["datasource", "service"]],
        ["observability-pipeline", ["datasource", "namespace"]],
    ])("%s has the variables %j", (uid, variables) => {
        expect(byUid(uid).templating.list.map((v: any) => v.name)).toEqual(variables);
    });

    it("query Prometheus through $datasource, and Loki and Tempo by their provisioned uids", () => {
        const uids = new Set(ALL.flatMap((d) => queriesOf(d.json).map((q) => `${q.language} ${q.datasourceUid}`)));
        expect([...uids].sort()).toEqual(["logql " + DATASOURCE_UIDS.loki, "promql ${datasource}", "traceql " + DATASOURCE_UIDS.tempo]);
    });

    it("name a datasource in every panel target, so no query goes to Grafana's default", () => {
        const targets = ALL.flatMap((d) => contentPanels(d.json).flatMap((p) => p.targets ?? []));
        expect(targets.length).toBeGreaterThan(0);
        expect(targets.filter((t: any) => !LANGUAGE_OF[t.datasource?.type])).toEqual([]);
    });
});

describe("dashboard queries", () => {
    it("are valid PromQL, every panel target and query variable", () => {
        expect(allQueries("promql").length).toBeGreaterThan(50);
        expect(invalid("promql")).toEqual([]);
    });

    it("are valid LogQL", () => {
        expect(allQueries("logql").length).toBeGreaterThan(0);
        expect(invalid("logql")).toEqual([]);
    });

    it("are valid TraceQL, Explore links included", () => {
        expect(allQueries("traceql").length).toBeGreaterThan(2);
        expect(invalid("traceql")).toEqual([]);
    });

    it.each([
        ["promql", 'sum(rate(DCGM_FI_DEV_GPU_UTIL{node=~"$node"}[$__rate_interval])'],
        ["logql", '{namespace="$namespace" |~ "error"'],
        ["traceql", '{resource.service.name="${service}" && }'],
    ] as [Language, string][])("would catch a syntax error in %s", (language, broken) => {
        expect(syntaxErrors(language, broken)).not.toEqual([]);
    });

    it("use only DCGM fields the exporter is configured with by default", () => {
        const configured = dcgmCounterList(validateStackConfig({}).dcgmExporter.counters).map((c) => c.field);
        const dcgm = METRICS_USED.filter((m) => m.startsWith("DCGM_FI_"));
        expect(dcgm.length).toBeGreaterThan(5);
        expect(dcgm.filter((m) => !configured.includes(m))).toEqual([]);
    });

    it("name span-metric, pipeline and kube-state-metrics series only as components/metricNames.ts does", () => {
        const known = new Set(stringsIn(metricNames));
        const checked = METRICS_USED.filter((m) => /^(traces|otelcol|promtail|loki|tempo|kube)_/.test(m));
        expect(checked.length).toBeGreaterThan(15);
        expect(checked.filter((m) => !known.has(m))).toEqual([]);
        expect(METRICS_USED.filter((m) => !m.startsWith("DCGM_FI_") && !checked.includes(m))).toEqual([]);
    });
});

// ---- Each dashboard ------------------------------------------------------------------------

describe("the GPU fleet dashboard", () => {
    const exprs = () => queriesOf(byUid("gpu-fleet")).map((q) => q.expr);

    it("lets All include idle GPUs, which have no namespace or pod label", () => {
        const namespace = byUid("gpu-fleet").templating.list.find((v: any) => v.name === "namespace");
        expect(namespace).toMatchObject({ includeAll: true, allValue: ".*" });
    });

    it("shows each GPU by node, index, UUID and model, and the pod holding it", () => {
        const table = contentPanels(byUid("gpu-fleet")).find((p) => p.title === "GPUs and the pods holding them");
        expect(table.targets[0].expr).toMatch(/^max by \(node, gpu, UUID, modelName, namespace, pod\) \(DCGM_FI_DEV_GPU_UTIL\{/);
    });

    it("lists the GPUs whose last XID is not zero", () => {
        const table = contentPanels(byUid("gpu-fleet")).find((p) => p.title === "GPUs with a non-zero XID");
        expect(table.targets).toEqual([
            expect.objectContaining({ expr: expect.stringMatching(/DCGM_FI_DEV_XID_ERRORS\{.*\}\) != 0$/), instant: true }),
        ]);
    });

    it("filters every GPU query by the node, gpu and namespace variables", () => {
        const gpuQueries = exprs().filter((e) => e.includes("DCGM_FI_") && !e.startsWith("DCGM_FI_"));
        for (const expr of gpuQueries) expect(expr).toContain('node=~"$node", gpu=~"$gpu", namespace=~"$namespace"');
    });
});

describe("the GPU efficiency dashboard", () => {
    const exprs = (idleThresholdPercent?: number) =>
        queriesOf(byUid("gpu-efficiency", stackDashboards({ ...EVERYTHING, idleThresholdPercent }))).map((q) => q.expr);

    it("counts a held GPU as idle under 5% utilisation by default", () => {
        expect(exprs().filter((e) => / < 5\)/.test(e)).length).toBeGreaterThan(3);
    });

    it("takes the idle threshold as a parameter", () => {
        const tenPercent = exprs(10);
        expect(tenPercent.some((e) => / < 10\)/.test(e))).toBe(true);
        expect(tenPercent.some((e) => / < 5\)/.test(e))).toBe(false);
    });

    it("refuses an idle threshold that is not a percentage", () => {
        expect(() => stackDashboards({ ...EVERYTHING, idleThresholdPercent: 0 })).toThrow(/idleThresholdPercent/);
        expect(() => stackDashboards({ ...EVERYTHING, idleThresholdPercent: 150 })).toThrow(/idleThresholdPercent/);
    });

    it("compares GPUs requested from kube-state-metrics with DCGM's utilisation of the GPUs pods hold", () => {
        const all = exprs().join("\n");
        expect(all).toContain('kube_pod_container_resource_requests{namespace=~"$namespace", resource="nvidia_com_gpu"');
        expect(all).toContain('DCGM_FI_DEV_GPU_UTIL{pod!=""');
        expect(all).toContain('kube_node_status_allocatable{resource="nvidia_com_gpu"');
    });

    it("names each pod's workload from kube_pod_owner", () => {
        expect(exprs().some((e) => e.includes("group_left (workload)") && e.includes("kube_pod_owner"))).toBe(true);
    });
});

describe("the Services dashboard", () => {
    const services = () => byUid("services-red");

    it("filters span metrics by the $service variable", () => {
        expect(services().templating.list.find((v: any) => v.name === "service").query).toBe(
            "label_values(traces_spanmetrics_calls_total, service)",
        );
        const spanQueries = queriesOf(services().panels).filter((q) => q.expr.includes("traces_spanmetrics_"));
        expect(spanQueries.length).toBeGreaterThan(3);
        for (const q of spanQueries) expect(q.expr).toContain('service=~"$service"');
    });

    it("counts errors by status_code STATUS_CODE_ERROR", () => {
        expect(queriesOf(services()).some((q) => q.expr.includes('status_code="STATUS_CODE_ERROR"'))).toBe(true);
    });

    it("shows p50, p95 and p99 latency with exemplars", () => {
        const latency = contentPanels(services()).find((p) => p.title.startsWith("Latency"));
        expect(latency.targets.map((t: any) => t.expr.match(/^histogram_quantile\(([\d.]+), /)?.[1])).toEqual(["0.5", "0.95", "0.99"]);
        expect(latency.targets.every((t: any) => t.exemplar === true)).toBe(true);
    });

    it("links its charts to the clicked service's traces in Tempo", () => {
        const charts = contentPanels(services()).filter((p) =>
            ["Request rate", "Error ratio", "Latency p50 / p95 / p99"].includes(p.title),
        );
        expect(charts).toHaveLength(3);
        for (const chart of charts) {
            const linked = queriesOf(chart.fieldConfig.defaults.links);
            expect(linked).toEqual([expect.objectContaining({ language: "traceql", datasourceUid: DATASOURCE_UIDS.tempo })]);
            expect(linked[0].expr).toContain('resource.service.name="${__field.labels.service}"');
        }
    });

    it("lists the selected services' traces, and failed ones, from Tempo", () => {
        const traceql = queriesOf(services().panels).filter((q) => q.language === "traceql" && q.datasourceUid === DATASOURCE_UIDS.tempo);
        expect(traceql.map((q) => q.expr)).toEqual(
            expect.arrayContaining([
                '{resource.service.name=~"${service:pipe}"}',
                '{resource.service.name=~"${service:pipe}" && status=error}',
            ]),
        );
    });

    it("shows the request rate between client and server services", () => {
        expect(
            queriesOf(services()).some((q) => q.expr.includes("sum by (client, server) (rate(traces_service_graph_request_total{")),
        ).toBe(true);
    });
});

describe("the observability pipeline dashboard", () => {
    const pipeline = (components: Partial<StackDashboardsInput["pipeline"]>) =>
        byUid("observability-pipeline", stackDashboards({ ...EVERYTHING, pipeline: { ...EVERYTHING.pipeline, ...components } }));

    it("defaults its namespace variable to the stack's namespace", () => {
        expect(pipeline({ namespace: "telemetry" }).templating.list.find((v: any) => v.name === "namespace")).toMatchObject({
            type: "textbox",
            query: "telemetry",
            current: { value: "telemetry" },
        });
    });

    it("shows the error lines of the pipeline's own pods, from Loki", () => {
        const logs = contentPanels(pipeline({})).find((p) => p.type === "logs");
        expect(logs.targets[0]).toMatchObject({
            datasource: { uid: DATASOURCE_UIDS.loki },
            expr: '{namespace="$namespace", container=~"promtail|opentelemetry-collector|loki|tempo"} |~ "(?i)error"',
        });
    });

    // Container names as the charts render them: Loki's templates/_pod.tpl names a container after
    // its target ("single-binary" as "loki"); tempo-distributed's templates/_pod.tpl after its
    // component's target; the tempo chart's StatefulSet "tempo".
    const errorStream = (json: any): string => contentPanels(json).find((p) => p.type === "logs").targets[0].expr;
    it.each([
        ["monolithic", "monolithic", "loki|tempo"],
        [
            "simple-scalable",
            "distributed",
            "write|read|backend|distributor|query-frontend|querier|metrics-generator|backend-scheduler|backend-worker|block-builder|live-store",
        ],
        ["simple-scalable", "monolithic", "write|read|backend|tempo"],
        [
            "monolithic",
            "distributed",
            "loki|distributor|query-frontend|querier|metrics-generator|backend-scheduler|backend-worker|block-builder|live-store",
        ],
    ] as const)("shows the error lines of Loki %s and Tempo %s by their containers in that mode", (loki, tempo, containers) => {
        const json = pipeline({ modes: { loki, tempo } });
        expect(errorStream(json)).toBe(
            `{namespace="$namespace", container=~"promtail|opentelemetry-collector|${containers}"} |~ "(?i)error"`,
        );
        const perComponent = contentPanels(json).find((p) => p.title === "Error lines per component").targets[0].expr;
        expect(perComponent).toContain(`container=~"promtail|opentelemetry-collector|${containers}"`);
    });

    it("matches the containers of every mode when it is not told the modes", () => {
        expect(errorStream(pipeline({ modes: undefined }))).toContain(
            'container=~"promtail|opentelemetry-collector|loki|write|read|backend|tempo|distributor|query-frontend|querier|' +
                'metrics-generator|backend-scheduler|backend-worker|block-builder|live-store"',
        );
    });

    it("names the containers of the modes the stack's config runs Loki and Tempo in", async () => {
        const streamIn = async (stack: string) => {
            const run = await runIndex(exampleStackConfig(stack), stack);
            const configMap = run.resources.find((r) => r.inputs.metadata?.name === "dashboard-observability-pipeline")!;
            return errorStream(JSON.parse(configMap.inputs.data["observability-pipeline.json"]));
        };
        expect(await streamIn("dev")).toContain('container=~"promtail|opentelemetry-collector|loki|tempo"');
        // Pulumi.production.yaml: the production profile's Loki simple-scalable and Tempo distributed.
        expect(await streamIn("production")).toContain(
            'container=~"promtail|opentelemetry-collector|write|read|backend|distributor|query-frontend|querier|' +
                'metrics-generator|backend-scheduler|backend-worker|block-builder|live-store"',
        );
    });

    it("makes every loss visible: drops, refusals, discards and failed sends at each hop", () => {
        const used = new Set(queriesOf(pipeline({})).flatMap((q) => (q.language === "promql" ? metricsIn(q.expr) : [])));
        const { promtail, otelCollector, loki, tempo } = metricNames.PIPELINE;
        for (const metric of [
            promtail.droppedEntries,
            promtail.requestDurationCount,
            otelCollector.receiverRefusedSpans,
            otelCollector.exporterSendFailedSpans,
            otelCollector.exporterEnqueueFailedSpans,
            otelCollector.exporterQueueSize,
            otelCollector.exporterQueueCapacity,
            loki.discardedSamples,
            tempo.discardedSpans,
        ]) {
            expect(used).toContain(metric);
        }
    });

    it("charts Alloy's read, sent, dropped and refused pushes when it is the log shipper", () => {
        const withAlloy = pipeline({ promtail: false, alloy: true });
        const used = new Set(queriesOf(withAlloy).flatMap((q) => (q.language === "promql" ? metricsIn(q.expr) : [])));
        const { alloy } = metricNames.PIPELINE;
        for (const metric of [alloy.readLines, alloy.sentEntries, alloy.droppedEntries, alloy.requestDurationCount])
            expect(used).toContain(metric);
        expect(JSON.stringify(withAlloy)).not.toMatch(/promtail_/);
        const logs = contentPanels(withAlloy).find((p) => p.type === "logs");
        expect(logs.targets[0].expr).toContain('container=~"alloy|opentelemetry-collector|loki|tempo"');
    });

    it("shows only the installed components", () => {
        const withoutCollector = pipeline({ otelCollector: false });
        expect(JSON.stringify(withoutCollector)).not.toMatch(/otelcol_|opentelemetry-collector/);
        expect(contentPanels(pipeline({ metrics: false })).map((p) => p.datasource.type)).toEqual(["loki", "loki"]);
    });
});

// ---- Which dashboards, and how they reach Grafana -------------------------------------------------

describe("stackDashboards", () => {
    const uids = (input: Partial<StackDashboardsInput>) => stackDashboards({ ...EVERYTHING, ...input }).map((d) => d.uid);

    it("leaves out the GPU dashboards when there is no GPU exporter", () => {
        expect(uids({ gpu: false })).toEqual(["services-red", "observability-pipeline"]);
    });

    it("leaves out the Services dashboard when there are no span metrics", () => {
        expect(uids({ spanMetrics: false })).toEqual(["gpu-fleet", "gpu-efficiency", "observability-pipeline"]);
    });

    it("leaves out the pipeline dashboard when none of the pipeline is installed", () => {
        const nothing = {
            namespace: "observability",
            metrics: true,
            promtail: false,
            alloy: false,
            otelCollector: false,
            loki: false,
            tempo: false,
        };
        expect(uids({ pipeline: nothing })).toEqual(["gpu-fleet", "gpu-efficiency", "services-red"]);
    });
});

describe("the Dashboards component", () => {
    let run: ProgramRun;
    let dashboards: DashboardSpec[];
    const configMaps = () => run.resources.filter((r) => r.type === "kubernetes:core/v1:ConfigMap");

    beforeAll(async () => {
        run = await runUserProgram(() => {
            // Loaded inside the run, with the components it shares the Pulumi runtime with.
            const { Dashboards, stackDashboards: build } = require("../components/dashboards") as typeof import("../components/dashboards");
            dashboards = build(EVERYTHING);
            new Dashboards("dashboards", { namespace: "observability", dashboards });
            return {};
        });
    });

    it("is a gpu-observability:index:Dashboards component", () => {
        expect(run.error).toBeUndefined();
        expect(run.resources.filter((r) => r.type === "gpu-observability:index:Dashboards").map((r) => r.name)).toEqual(["dashboards"]);
    });

    it("creates one ConfigMap per dashboard, as its child, in the given namespace", () => {
        const component = run.resources.find((r) => r.type === "gpu-observability:index:Dashboards")!;
        expect(configMaps().map((c) => c.inputs.metadata.name)).toEqual(dashboards.map((d) => `dashboard-${d.uid}`));
        for (const configMap of configMaps()) {
            expect(configMap.parent).toBe(component.urn);
            expect(configMap.inputs.metadata.namespace).toBe("observability");
        }
    });

    it("labels each ConfigMap for Grafana's dashboard sidecar and annotates its folder", () => {
        for (const [i, configMap] of configMaps().entries()) {
            expect(configMap.inputs.metadata.labels).toEqual({ [DASHBOARD_LABEL.key]: DASHBOARD_LABEL.value });
            expect(configMap.inputs.metadata.annotations).toEqual({ [DASHBOARD_FOLDER_ANNOTATION]: dashboards[i].folder });
        }
    });

    it("holds the dashboard's JSON under <uid>.json", () => {
        for (const [i, configMap] of configMaps().entries()) {
            expect(Object.keys(configMap.inputs.data)).toEqual([`${dashboards[i].uid}.json`]);
            expect(JSON.parse(configMap.inputs.data[`${dashboards[i].uid}.json`])).toEqual(JSON.parse(JSON.stringify(dashboards[i].json)));
        }
    });
});
