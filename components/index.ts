// Every public component, on one screen.
export { Alloy, type AlloyArgs, alloyValues } from "./alloy";
export { Alerting, type AlertingArgs, alertmanagerConfig, alertmanagerValues, alertRuleGroups } from "./alerting";
export { Dashboards, type DashboardsArgs, type DashboardSpec, stackDashboards, type StackDashboardsInput } from "./dashboards";
export { DcgmExporter, type DcgmExporterArgs, dcgmExporterValues } from "./dcgmExporter";
export { DATASOURCE_UIDS, grafanaDatasources } from "./datasources";
export { Grafana, type GrafanaArgs, grafanaValues } from "./grafana";
export { Loki, type LokiArgs, lokiValues } from "./loki";
export { NetworkPolicies, type NetworkPoliciesArgs, stackNetworkPolicies } from "./networkPolicies";
export { ObservabilityStack, type ObservabilityStackArgs } from "./observabilityStack";
export { OtelCollector, type OtelCollectorArgs, otelCollectorValues } from "./otelCollector";
export { Prometheus, type PrometheusArgs, prometheusValues } from "./prometheus";
export { Promtail, type PromtailArgs, promtailValues } from "./promtail";
export { Tempo, type TempoArgs, tempoValues } from "./tempo";
