// Every public component, on one screen.
export { DcgmExporter, DcgmExporterArgs, dcgmExporterValues } from "./dcgmExporter";
export { DATASOURCE_UIDS, grafanaDatasources } from "./datasources";
export { Grafana, GrafanaArgs, grafanaValues } from "./grafana";
export { Loki, LokiArgs, lokiValues } from "./loki";
export { ObservabilityStack, ObservabilityStackArgs } from "./observabilityStack";
export { OtelCollector, OtelCollectorArgs, otelCollectorValues } from "./otelCollector";
export { Prometheus, PrometheusArgs, prometheusValues } from "./prometheus";
export { Promtail, PromtailArgs, promtailValues } from "./promtail";
export { Tempo, TempoArgs, tempoValues } from "./tempo";
