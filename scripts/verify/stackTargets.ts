// What `verify` looks for in a deployed stack, derived from its config the way the components
// derive it: release names, the Services and ports of the APIs it calls, Grafana's admin Secret.
import { GRAFANA_PORT } from "../../components/grafana";
import { LOKI_HTTP_PORT, LOKI_SERVICE_SUFFIXES } from "../../components/loki";
import { OTEL_COLLECTOR_PORTS } from "../../components/otelCollector";
import { PROMETHEUS_PORT } from "../../components/prometheus";
import { GPU_OPERATOR_EXPORTER } from "../../components/dcgmExporter";
import { DEFAULT_RELEASE_NAMES, LOG_SHIPPER_RELEASE_NAMES, Subsystem } from "../../components/releaseNames";
import { TEMPO_PORTS, TEMPO_SERVICE_SUFFIXES } from "../../components/tempo";
import { PROJECT } from "../../config/validate";
import { StackConfig } from "../../config/schema";

export { DEFAULT_RELEASE_NAMES, type Subsystem } from "../../components/releaseNames";

/** A port of a Service in the stack's namespace. */
export interface ServicePort {
    service: string;
    port: number;
}

/** The APIs the checks call. */
export type StackApi = "otlpHttp" | "tempoQuery" | "lokiPush" | "lokiQuery" | "prometheus" | "grafana";

/**
 * The Service and port of each API the checks call, as the component that owns it builds its URL
 * (helm.ts releaseServiceUrl) in the configured mode: Loki's single binary takes pushes and queries,
 * simple-scalable its write and read targets; Tempo's one Service answers queries, distributed its
 * query-frontend.
 */
export function stackServices(config: StackConfig): Readonly<Record<StackApi, ServicePort>> {
    const loki = LOKI_SERVICE_SUFFIXES[config.loki.mode];
    const tempo = TEMPO_SERVICE_SUFFIXES[config.tempo.mode];
    return {
        otlpHttp: { service: DEFAULT_RELEASE_NAMES.otelCollector, port: OTEL_COLLECTOR_PORTS.otlpHttp },
        tempoQuery: { service: `${DEFAULT_RELEASE_NAMES.tempo}${tempo.query}`, port: TEMPO_PORTS.http },
        lokiPush: { service: `${DEFAULT_RELEASE_NAMES.loki}${loki.push}`, port: LOKI_HTTP_PORT },
        lokiQuery: { service: `${DEFAULT_RELEASE_NAMES.loki}${loki.query}`, port: LOKI_HTTP_PORT },
        // kube-prometheus-stack names its Prometheus Service `<release>-prometheus` (Prometheus.prometheusUrl).
        prometheus: { service: `${DEFAULT_RELEASE_NAMES.prometheus}-prometheus`, port: PROMETHEUS_PORT },
        grafana: { service: DEFAULT_RELEASE_NAMES.grafana, port: GRAFANA_PORT },
    };
}

/** The Secret the Grafana component creates for the chart (`<release>-admin`) and its keys. */
export const GRAFANA_ADMIN_SECRET = {
    name: `${DEFAULT_RELEASE_NAMES.grafana}-admin`,
    userKey: "admin-user",
    passwordKey: "admin-password",
} as const;

/**
 * The DCGM exporter's Prometheus job. prometheus-operator names a ServiceMonitor's job after the
 * Service it selects unless the monitor sets `jobLabel`, which neither ours nor the chart's does:
 * the chart's Service (the release name), or the GPU Operator's.
 */
export const DCGM_EXPORTER_JOB = DEFAULT_RELEASE_NAMES.dcgmExporter;
export const dcgmExporterJob = (config: StackConfig): string =>
    config.dcgmExporter.mode === "gpu-operator" ? GPU_OPERATOR_EXPORTER.service : DCGM_EXPORTER_JOB;

/** The release a subsystem is installed as in this stack, or undefined when it installs none. */
export function installedRelease(config: StackConfig, subsystem: Subsystem): string | undefined {
    if (subsystem === "logs") return LOG_SHIPPER_RELEASE_NAMES[config.logs.shipper];
    // The GPU Operator's exporter belongs to the operator, in its own namespace.
    if (subsystem === "dcgmExporter" && config.dcgmExporter.mode === "gpu-operator") return undefined;
    return DEFAULT_RELEASE_NAMES[subsystem];
}

/** Why a subsystem's checks are skipped, or undefined when it is installed. */
export function disabledReason(config: StackConfig, ...subsystems: Subsystem[]): string | undefined {
    const disabled = subsystems.filter((subsystem) => !config[subsystem].enabled);
    if (disabled.length === 0) return undefined;
    return disabled.map((subsystem) => `${subsystem} is disabled (${PROJECT}:${subsystem}.enabled is false)`).join("; ");
}

/** `{ a: "1", b: "2" }` -> `a=1,b=2`, the label selector syntax of the Kubernetes API and kubectl. */
export const labelSelector = (labels: Record<string, string>): string =>
    Object.entries(labels)
        .map(([key, value]) => `${key}=${value}`)
        .join(",");
