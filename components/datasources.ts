import { SPAN_METRICS } from "./metricNames";

// Grafana's datasources and the links between them. The uids are fixed here, once: every
// link, dashboard and alert refers to a datasource by this constant, never by a literal.

export const DATASOURCE_UIDS = {
    prometheus: "prometheus",
    loki: "loki",
    tempo: "tempo",
    alertmanager: "alertmanager",
} as const;

/** In-cluster URLs of the backends that are installed; an absent one gets no datasource and no links. */
export interface DatasourceUrls {
    prometheus?: string;
    loki?: string;
    tempo?: string;
    alertmanager?: string;
}

/**
 * The metrics a span links to: its service's request rate, errors and latency (Tempo's span
 * metrics). Grafana puts the span's mapped tags (service="...") where `$__tags` stands.
 */
export const TRACE_TO_METRICS_QUERIES = [
    { name: "Request rate", query: `sum(rate(${SPAN_METRICS.calls}{$__tags}[5m]))` },
    { name: "Error rate", query: `sum(rate(${SPAN_METRICS.calls}{$__tags, status_code="${SPAN_METRICS.errorStatus}"}[5m]))` },
    { name: "p95 latency", query: `histogram_quantile(0.95, sum by (le) (rate(${SPAN_METRICS.latencyBucket}{$__tags}[5m])))` },
];

/** The label Tempo's metrics generator puts the trace id of an exemplar under (its trace_id_label_name default). */
export const TEMPO_EXEMPLAR_LABEL = "traceID";

/**
 * Grafana expands environment variables (`$NAME`, `${NAME}`) in every string of a provisioned
 * datasource; `$$` is how a literal `$` survives (grafana/grafana#64871).
 */
export const escapeForProvisioning = (text: string): string => text.replace(/\$/g, "$$$$");

type Datasource = Record<string, unknown> & { name: string; type: string; uid: string; url: string };

/** Grafana's datasource provisioning entries for the installed backends, linked to each other. */
export function grafanaDatasources(urls: DatasourceUrls, lokiTenant?: string): Datasource[] {
    const datasources: Datasource[] = [];
    if (urls.prometheus) {
        datasources.push({
            name: "Prometheus",
            type: "prometheus",
            uid: DATASOURCE_UIDS.prometheus,
            url: urls.prometheus,
            access: "proxy",
            isDefault: true,
            editable: false,
            jsonData: {
                httpMethod: "POST",
                ...(urls.tempo
                    ? { exemplarTraceIdDestinations: [{ name: TEMPO_EXEMPLAR_LABEL, datasourceUid: DATASOURCE_UIDS.tempo }] }
                    : {}),
            },
        });
    }
    if (urls.loki) {
        datasources.push({
            name: "Loki",
            type: "loki",
            uid: DATASOURCE_UIDS.loki,
            url: urls.loki,
            access: "proxy",
            editable: false,
            // A multi-tenant Loki answers only queries that name their tenant.
            ...(lokiTenant ? { secureJsonData: { httpHeaderValue1: lokiTenant } } : {}),
            jsonData: {
                maxLines: 1000,
                ...(lokiTenant ? { httpHeaderName1: "X-Scope-OrgID" } : {}),
                ...(urls.tempo
                    ? {
                          // A W3C/OTel trace id (32 hex digits) in a log line, as logfmt or JSON writes it,
                          // under any common spelling of its key: trace_id, traceid, traceId, traceID,
                          // TraceId, trace.id, trace-id, otelTraceID. Grafana matches it with a flagless
                          // JavaScript RegExp (public/app/plugins/datasource/loki/getDerivedFields.ts:
                          // line.match), so case is spelt out rather than (?i).
                          derivedFields: [
                              {
                                  name: "TraceID",
                                  matcherRegex: '[Tt]race[_.-]?[Ii][Dd]["=: ]+"?([0-9a-fA-F]{32})',
                                  url: escapeForProvisioning("${__value.raw}"),
                                  datasourceUid: DATASOURCE_UIDS.tempo,
                              },
                          ],
                      }
                    : {}),
            },
        });
    }
    if (urls.tempo) {
        datasources.push({
            name: "Tempo",
            type: "tempo",
            uid: DATASOURCE_UIDS.tempo,
            url: urls.tempo,
            access: "proxy",
            editable: false,
            jsonData: {
                ...(urls.loki
                    ? {
                          tracesToLogsV2: {
                              datasourceUid: DATASOURCE_UIDS.loki,
                              spanStartTimeShift: "-5m",
                              spanEndTimeShift: "5m",
                              filterByTraceID: true,
                              tags: [
                                  { key: "k8s.namespace.name", value: "namespace" },
                                  { key: "k8s.pod.name", value: "pod" },
                              ],
                          },
                      }
                    : {}),
                ...(urls.prometheus
                    ? {
                          tracesToMetrics: {
                              datasourceUid: DATASOURCE_UIDS.prometheus,
                              spanStartTimeShift: "-5m",
                              spanEndTimeShift: "5m",
                              tags: [{ key: "service.name", value: "service" }],
                              // From a span to its service's span metrics; Grafana puts the tags
                              // above (service="...") where $__tags stands.
                              queries: TRACE_TO_METRICS_QUERIES.map(({ name, query }) => ({ name, query: escapeForProvisioning(query) })),
                          },
                          serviceMap: { datasourceUid: DATASOURCE_UIDS.prometheus },
                      }
                    : {}),
                nodeGraph: { enabled: true },
            },
        });
    }
    if (urls.alertmanager) {
        datasources.push({
            name: "Alertmanager",
            type: "alertmanager",
            uid: DATASOURCE_UIDS.alertmanager,
            url: urls.alertmanager,
            access: "proxy",
            editable: false,
            jsonData: { implementation: "prometheus", handleGrafanaManagedAlerts: false },
        });
    }
    return datasources;
}
