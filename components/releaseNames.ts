import { LogsConfig } from "../config/logs";

/** The stack config's keys that each install one Helm release. */
export type Subsystem = "prometheus" | "loki" | "tempo" | "dcgmExporter" | "logs" | "otelCollector" | "grafana";

/**
 * Each subsystem's Helm release name unless its component is given another; every Service name of
 * a release derives from it (fullnameOverride), so addresses are built from these, never retyped.
 */
export const DEFAULT_RELEASE_NAMES: Readonly<Record<Subsystem, string>> = {
    prometheus: "kube-prometheus-stack",
    loki: "loki",
    tempo: "tempo",
    dcgmExporter: "dcgm-exporter",
    logs: "promtail",
    otelCollector: "otel-collector",
    grafana: "grafana",
};

/** The in-cluster object store's release name (objectStorage.provider minio). */
export const MINIO_RELEASE_NAME = "minio";

/** The log shipper's release name for each `logs.shipper`: the chart's own name. */
export const LOG_SHIPPER_RELEASE_NAMES: Readonly<Record<LogsConfig["shipper"], string>> = { promtail: "promtail", alloy: "alloy" };
