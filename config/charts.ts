// Every upstream chart the stack installs, pinned in one place. Grafana, Loki and Tempo moved to
// the grafana-community repository in 2026 (the `grafana` repository's Loki is Enterprise Logs
// now); Promtail stays in `grafana`, where it reached its end of life.

const GRAFANA_COMMUNITY = "https://grafana-community.github.io/helm-charts";
const GRAFANA = "https://grafana.github.io/helm-charts";

export const CHARTS = {
    loki: { chart: "loki", version: "18.11.0", repo: GRAFANA_COMMUNITY },
    tempo: { chart: "tempo", version: "2.2.4", repo: GRAFANA_COMMUNITY },
    // Tempo 3 in microservices: distributors write to Kafka, block-builders and live-stores read it.
    tempoDistributed: { chart: "tempo-distributed", version: "3.3.0", repo: GRAFANA_COMMUNITY },
    grafana: { chart: "grafana", version: "12.11.1", repo: GRAFANA_COMMUNITY },
    promtail: { chart: "promtail", version: "6.17.1", repo: GRAFANA },
    alloy: { chart: "alloy", version: "1.11.1", repo: GRAFANA },
    kubePrometheusStack: {
        chart: "kube-prometheus-stack",
        version: "88.5.3",
        repo: "https://prometheus-community.github.io/helm-charts",
    },
    otelCollector: {
        chart: "opentelemetry-collector",
        version: "0.170.0",
        repo: "https://open-telemetry.github.io/opentelemetry-helm-charts",
    },
    dcgmExporter: {
        chart: "dcgm-exporter",
        version: "4.8.2",
        repo: "https://nvidia.github.io/dcgm-exporter/helm-charts",
    },
    // The version the Loki chart itself depends on; the in-cluster object store of on-prem clusters.
    minio: { chart: "minio", version: "5.4.0", repo: "https://charts.min.io/" },
} as const;

export type ChartName = keyof typeof CHARTS;
export type ChartPin = (typeof CHARTS)[ChartName];

/**
 * The collector image the stack runs: the chart has no default, and the k8s distribution carries
 * k8s_attributes (Docker Hub's copy stopped at v0.123.1). The tag is the chart's appVersion.
 */
export const OTEL_COLLECTOR_IMAGE = "ghcr.io/open-telemetry/opentelemetry-collector-releases/opentelemetry-collector-k8s";
