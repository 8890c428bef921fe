// Helm ignores a values key the chart does not read, so a typo passes silently
// (pulumi/pulumi-kubernetes#167). Every key the project sets must exist in the pinned chart's
// default values.yaml (../shared/charts), unless it sits below a key the chart treats as free-form.
import YAML from "yaml";
import {
    alloyValues,
    dcgmExporterValues,
    grafanaValues,
    lokiValues,
    otelCollectorValues,
    prometheusValues,
    promtailValues,
    tempoValues,
} from "../components";
import { CHARTS, ChartPin, validateStackConfig } from "../config";
import { HelmValues } from "../components/helm";
import { chartFile } from "./helpers/shared";

const config = validateStackConfig({ storageClass: "standard" });
const base = { storageClass: "standard", serviceMonitors: true };

// Declared keys (or full key paths) whose value is a Kubernetes object the chart copies verbatim (checked against the API
// schema by render-check), or a config file's content.
const PASSED_THROUGH = new Set([
    "securityContext",
    "podSecurityContext",
    "containerSecurityContext",
    "resources",
    "tolerations",
    "nodeSelector",
    "grafana.ini",
    // Loki config sections the chart's `loki.config` template renders verbatim with toYaml.
    "loki.ingester",
    "loki.limits_config",
    "loki.storage_config",
]);

// Keys the chart reads although its values.yaml leaves them out, each with the template that reads it.
const UNDECLARED: Record<string, string[]> = {
    loki: [],
    tempo: [
        "persistence.storageClassName", // templates/statefulset.yaml
    ],
    grafana: [
        "fullnameOverride", // templates/_helpers.tpl
        "persistence.storageClassName", // templates/pvc.yaml
    ],
    promtail: [],
    alloy: [],
    "dcgm-exporter": [
        "customMetrics", // templates/metrics-configmap.yaml
    ],
    "opentelemetry-collector": [],
    // Subcharts: their own values.yaml is not among ../shared/charts, only what the parent overrides.
    "kube-prometheus-stack": ["prometheus-node-exporter", "kube-state-metrics"],
};

const CASES: [string, ChartPin, HelmValues][] = [
    ["loki", CHARTS.loki, lokiValues({ ...base, settings: config.loki, releaseName: "loki" })],
    ["tempo", CHARTS.tempo, tempoValues({ ...base, settings: config.tempo, releaseName: "tempo" })],
    [
        "kube-prometheus-stack",
        CHARTS.kubePrometheusStack,
        prometheusValues({ ...base, settings: config.prometheus, releaseName: "kube-prometheus-stack" }),
    ],
    ["dcgm-exporter", CHARTS.dcgmExporter, dcgmExporterValues({ ...base, settings: config.dcgmExporter, releaseName: "dcgm-exporter" })],
    [
        "promtail",
        CHARTS.promtail,
        promtailValues(
            { ...base, settings: config.logs, releaseName: "promtail", namespace: "observability" },
            "http://loki:3100/loki/api/v1/push",
        ),
    ],
    ["alloy", CHARTS.alloy, alloyValues({ ...base, settings: config.logs, releaseName: "alloy" }, "http://loki:3100/loki/api/v1/push")],
    [
        "opentelemetry-collector",
        CHARTS.otelCollector,
        otelCollectorValues({ ...base, settings: config.otelCollector, releaseName: "otel-collector" }, "tempo:4317"),
    ],
    [
        "grafana",
        CHARTS.grafana,
        grafanaValues({
            ...base,
            settings: config.grafana,
            releaseName: "grafana",
            namespace: "observability",
            adminSecretName: "grafana-admin",
            datasources: {},
        }),
    ],
];

/** The key paths of `values` the chart's defaults do not declare. */
function undeclared(values: unknown, defaults: unknown, at: string[] = []): string[] {
    if (typeof values !== "object" || values === null || Array.isArray(values)) return [];
    // Free-form: the chart's default is an empty map, a list, or a string it templates (e.g. config files).
    if (typeof defaults !== "object" || defaults === null || Array.isArray(defaults) || Object.keys(defaults).length === 0) {
        return [];
    }
    return Object.entries(values).flatMap(([key, value]) => {
        const here = [...at, key];
        if (!(key in defaults)) return [here.join(".")];
        if (PASSED_THROUGH.has(key) || PASSED_THROUGH.has(here.join("."))) return [];
        return undeclared(value, (defaults as Record<string, unknown>)[key], here);
    });
}

describe.each(CASES)("values for %s", (chartName, pin, values) => {
    it("are written against the pinned chart's real keys", () => {
        const defaults = YAML.parse(chartFile(pin, "values.yaml"));
        const unknown = undeclared(values, defaults).filter(
            (key) => !UNDECLARED[chartName].some((allowed) => key === allowed || key.startsWith(`${allowed}.`)),
        );
        expect(unknown).toEqual([]);
    });
});
