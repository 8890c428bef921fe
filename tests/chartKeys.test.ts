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
import { objectStoreFor } from "../components/objectStorage";
import { chartFile } from "./helpers/shared";

const config = validateStackConfig({ storageClass: "standard" });
const base = { storageClass: "standard", serviceMonitors: true };
const namespace = "observability";
// Tempo in both modes, with the keys an object store and the metrics generator add.
const production = validateStackConfig({
    profile: "production",
    storageClass: "standard",
    objectStorage: { provider: "minio" },
    tempo: { kafka: { address: "kafka.kafka.svc:9092" } },
    // The profile's two Grafanas need a database.
    grafana: { database: { type: "postgres", host: "grafana-db.example.internal:5432", name: "grafana", user: "grafana", password: "pw" } },
});
const tempoWiring = {
    objectStore: objectStoreFor({ ...production.objectStorage, provider: "minio" }, "observability", "minio", "object-storage-credentials"),
    metricsRemoteWriteUrls: ["http://kube-prometheus-stack-prometheus-0.observability.svc.cluster.local:9090/api/v1/write"],
};
// Loki on each kind of store: the keys of its targets, a credentials Secret and workload identity.
const lokiStore = (objectStorage: Record<string, unknown>, secret?: string) => {
    const settings = validateStackConfig({ objectStorage }).objectStorage;
    return objectStoreFor({ ...settings, provider: settings.provider! }, "observability", "minio", secret);
};

// Declared keys (or full key paths) whose value is a Kubernetes object the chart copies verbatim (checked against the API
// schema by render-check), or a config file's content.
const PASSED_THROUGH = new Set([
    "securityContext",
    "podSecurityContext",
    "containerSecurityContext",
    "resources",
    "tolerations",
    "nodeSelector",
    "affinity", // Loki's targets: templates/_pod.tpl renders it with tpl (toYaml .)
    "grafana.ini",
]);

// Keys the chart reads although its values.yaml leaves them out, each with the template that reads it.
const UNDECLARED: Record<string, string[]> = {
    loki: [],
    tempo: [
        "persistence.storageClassName", // templates/statefulset.yaml
    ],
    "tempo-distributed": [
        "backendWorker.podDisruptionBudget", // templates/backend-worker/poddisruptionbudget-backend-worker.yaml
        "backendWorker.maxUnavailable", // templates/backend-worker/poddisruptionbudget-backend-worker.yaml
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
    "opentelemetry-collector": [
        "podDisruptionBudget.maxUnavailable", // templates/pdb.yaml (commented out in values.yaml)
    ],
    // Subcharts: their own values.yaml is not among ../shared/charts, only what the parent overrides.
    "kube-prometheus-stack": ["prometheus-node-exporter", "kube-state-metrics"],
};

const CASES: [string, ChartPin, HelmValues][] = [
    ["loki", CHARTS.loki, lokiValues({ ...base, namespace, settings: config.loki, releaseName: "loki" })],
    ["loki", CHARTS.loki, lokiValues({ ...base, namespace, settings: production.loki, releaseName: "loki" }, tempoWiring.objectStore)],
    [
        "loki",
        CHARTS.loki,
        lokiValues(
            { ...base, namespace, settings: production.loki, releaseName: "loki" },
            lokiStore({
                provider: "azure",
                azure: { accountName: "logs" },
                serviceAccountAnnotations: { "azure.workload.identity/client-id": "x" },
            }),
        ),
    ],
    [
        "loki",
        CHARTS.loki,
        lokiValues(
            { ...base, namespace, settings: config.loki, releaseName: "loki" },
            lokiStore({ provider: "gcs", credentials: { gcsServiceAccountKey: "{}" } }, "object-storage-credentials"),
        ),
    ],
    ["tempo", CHARTS.tempo, tempoValues({ ...base, namespace, settings: config.tempo, releaseName: "tempo", ...tempoWiring })],
    [
        "tempo-distributed",
        CHARTS.tempoDistributed,
        tempoValues({ ...base, namespace, settings: production.tempo, releaseName: "tempo", ...tempoWiring }),
    ],
    [
        "kube-prometheus-stack",
        CHARTS.kubePrometheusStack,
        prometheusValues({ ...base, settings: config.prometheus, releaseName: "kube-prometheus-stack" }),
    ],
    // Replicated and sharded, with disruption budgets and a long-term store.
    [
        "kube-prometheus-stack",
        CHARTS.kubePrometheusStack,
        prometheusValues({
            ...base,
            settings: validateStackConfig({
                prometheus: {
                    ...production.prometheus,
                    shards: 2,
                    remoteWrite: [{ url: "https://mimir.example.com/api/v1/push", bearerToken: "t", queue: { maxShards: 100 } }],
                },
            }).prometheus,
            releaseName: "kube-prometheus-stack",
        }),
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
    // Replicated (the production profile): spread and a disruption budget.
    [
        "opentelemetry-collector",
        CHARTS.otelCollector,
        otelCollectorValues({ ...base, settings: production.otelCollector, releaseName: "otel-collector" }, "tempo:4317"),
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
    // Replicated on an external database, with a CA: the keys only that topology sets.
    [
        "grafana",
        CHARTS.grafana,
        grafanaValues({
            ...base,
            settings: validateStackConfig({
                grafana: {
                    replicas: 2,
                    database: {
                        type: "mysql",
                        host: "mysql.example.internal:3306",
                        name: "grafana",
                        user: "grafana",
                        password: "pw",
                        caCert: "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----",
                    },
                },
            }).grafana,
            releaseName: "grafana",
            namespace: "observability",
            adminSecretName: "grafana-admin",
            datasources: {},
            databaseSecretName: "grafana-database",
            databaseCaConfigMapName: "grafana-database-ca",
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
