import { DASHBOARD_LABEL } from "../components/grafana";
import { prometheusValues, remoteWriteSecretName, retentionSizeFor } from "../components/prometheus";
import { parseQuantity, PROFILE_DEFAULTS, StackConfigInput, validateStackConfig } from "../config";
import { isSecretEnvelope } from "../scripts/lib/secrets";
import { releaseServing, RENDERED_SELECTORS } from "./fixtures/renderedServices";
import { ProgramRun, runIndex, runUserProgram, stackConfig, valuesOf } from "./helpers/run";

const settingsOf = (config: StackConfigInput) => validateStackConfig(config).prometheus;
const valuesFor = (config: StackConfigInput, storageClass?: string): any =>
    prometheusValues({ settings: settingsOf(config), storageClass, serviceMonitors: true, releaseName: "kube-prometheus-stack" });
const values = (prometheus: Record<string, unknown> = {}, storageClass?: string): any => valuesFor({ prometheus }, storageClass);
// What the production profile gives Prometheus, without the other subsystems' production rules
// (object storage, Kafka, a Grafana database), which these tests are not about.
const PRODUCTION: StackConfigInput = { prometheus: PROFILE_DEFAULTS.production.prometheus };
const production = (prometheus: Record<string, unknown> = {}): any =>
    valuesFor({ prometheus: { ...PROFILE_DEFAULTS.production.prometheus, ...prometheus } });

// A long-term store with credentials, each a string that must never leave the Secret.
const MIMIR = "https://mimir.example.com/api/v1/push";
const CREDENTIALS = { username: "tenant-user-4711", password: "mimir-password-secret", token: "grafana-cloud-token-secret" };
const TARGETS = [
    {
        url: MIMIR,
        name: "mimir",
        basicAuth: { username: CREDENTIALS.username, password: CREDENTIALS.password },
        headers: { "X-Scope-OrgID": "gpu-fleet" },
        queue: { maxShards: 100 },
    },
    { url: "https://prometheus-prod.grafana.net/api/prom/push", bearerToken: CREDENTIALS.token },
    { url: "http://thanos-receive.thanos.svc:19291/api/v1/receive" },
];

describe("kube-prometheus-stack values", () => {
    it("install Prometheus, Alertmanager, the operator, node-exporter and kube-state-metrics", () => {
        const v = values();
        expect(v.prometheus.enabled).toBe(true);
        expect(v.alertmanager.enabled).toBe(true);
        expect(v.prometheusOperator.enabled).toBe(true);
        expect(v.nodeExporter.enabled).toBe(true);
        expect(v.kubeStateMetrics.enabled).toBe(true);
    });

    it("turn the bundled Grafana off but still deploy its dashboards for our Grafana's sidecar", () => {
        const { grafana } = values();
        expect(grafana).toMatchObject({ enabled: false, forceDeployDashboards: true, forceDeployDatasources: false });
        expect(grafana.sidecar.dashboards).toEqual({ label: DASHBOARD_LABEL.key, labelValue: DASHBOARD_LABEL.value });
    });

    it.each(["serviceMonitor", "podMonitor", "rule", "probe", "scrapeConfig"])(
        "select every %s in every namespace, whatever its labels",
        (kind) => {
            const spec = values().prometheus.prometheusSpec;
            expect(spec[`${kind}SelectorNilUsesHelmValues`]).toBe(false);
            expect(spec[`${kind}Selector`]).toEqual({});
            expect(spec[`${kind}NamespaceSelector`]).toEqual({});
        },
    );

    it("take retention, scrape interval and storage from config", () => {
        const spec = values({ retention: "30d", storageSize: "100Gi", scrapeInterval: "15s" }, "fast-ssd").prometheus.prometheusSpec;
        expect(spec.retention).toBe("30d");
        expect(spec.scrapeInterval).toBe("15s");
        expect(spec.retentionSize).toBe("92160MB");
        expect(spec.storageSpec.volumeClaimTemplate.spec).toEqual({
            accessModes: ["ReadWriteOnce"],
            resources: { requests: { storage: "100Gi" } },
            storageClassName: "fast-ssd",
        });
    });

    it("stop Prometheus at the configured retentionSize, written in Prometheus' units", () => {
        expect(values({ storageSize: "100Gi", retentionSize: "50Gi" }).prometheus.prometheusSpec.retentionSize).toBe("51200MB");
    });

    it("keep Alertmanager's state on its own volume", () => {
        const spec = values({ alertmanagerStorageSize: "2Gi" }).alertmanager.alertmanagerSpec;
        expect(spec.storage.volumeClaimTemplate.spec.resources.requests.storage).toBe("2Gi");
    });

    it("receive remote writes and store exemplars, for Tempo's metrics and trace links", () => {
        const spec = values().prometheus.prometheusSpec;
        expect(spec.enableRemoteWriteReceiver).toBe(true);
        expect(spec.enableFeatures).toContain("exemplar-storage");
    });

    it("run node-exporter on every node, GPU nodes included", () => {
        expect(values()["prometheus-node-exporter"].tolerations).toEqual([{ operator: "Exists" }]);
    });

    it("size Prometheus from config", () => {
        expect(values({ resources: { requests: { memory: "1Gi" } } }).prometheus.prometheusSpec.resources.requests.memory).toBe("1Gi");
    });
});

describe("replicas", () => {
    it("are one Prometheus and one Alertmanager in dev, with no disruption budget, which would block every drain", () => {
        const v = values();
        expect(v.prometheus.prometheusSpec).toMatchObject({ replicas: 1, shards: 1 });
        expect(v.alertmanager.alertmanagerSpec.replicas).toBe(1);
        expect(v.prometheus.podDisruptionBudget).toEqual({ enabled: false });
        expect(v.alertmanager.podDisruptionBudget).toEqual({ enabled: false });
    });

    it("are two Prometheus and three Alertmanager in production, a drain taking one pod at a time", () => {
        const v = production();
        expect(v.prometheus.prometheusSpec.replicas).toBe(2);
        expect(v.alertmanager.alertmanagerSpec.replicas).toBe(3);
        expect(v.prometheus.podDisruptionBudget).toEqual({ enabled: true, minAvailable: 1 });
        expect(v.alertmanager.podDisruptionBudget).toEqual({ enabled: true, minAvailable: 2 });
    });

    it("of every shard count in Prometheus' disruption budget, so each shard keeps a replica through a drain", () => {
        const v = values({ replicas: 2, shards: 3, remoteWrite: [{ url: MIMIR }] });
        expect(v.prometheus.prometheusSpec).toMatchObject({ replicas: 2, shards: 3 });
        expect(v.prometheus.podDisruptionBudget).toEqual({ enabled: true, minAvailable: 5 });
    });

    it.each([
        ["Prometheus", (v: any) => v.prometheus.prometheusSpec, RENDERED_SELECTORS.prometheus],
        ["Alertmanager", (v: any) => v.alertmanager.alertmanagerSpec, RENDERED_SELECTORS.alertmanager],
    ])("of %s spread over zones and nodes, selected by the labels the operator gives the pods", (_what, specOf, pods) => {
        const spec = specOf(production());
        expect(spec.topologySpreadConstraints.map((c: any) => c.topologyKey)).toEqual([
            "topology.kubernetes.io/zone",
            "kubernetes.io/hostname",
        ]);
        expect(spec.topologySpreadConstraints.every((c: any) => c.whenUnsatisfiable === "ScheduleAnyway")).toBe(true);
        for (const c of spec.topologySpreadConstraints) expect(c.labelSelector).toEqual({ matchLabels: pods });
        const [term] = spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution;
        expect(term.podAffinityTerm).toEqual({ topologyKey: "kubernetes.io/hostname", labelSelector: { matchLabels: pods } });
        // The chart's own preset would render a second podAntiAffinity key beside ours.
        expect(spec.podAntiAffinity).toBe("");
    });

    it("keep each client of the Prometheus Service on one replica, so graphs do not alternate between copies", () => {
        expect(production().prometheus.service.sessionAffinity).toBe("ClientIP");
    });

    it("each have a Service of their own, for writers that must reach every replica", () => {
        expect(production().prometheus.servicePerReplica).toEqual({ enabled: true, port: 9090 });
    });
});

describe("remote write", () => {
    const remoteWrite = (targets = TARGETS) => values({ remoteWrite: targets }).prometheus.prometheusSpec.remoteWrite;
    const secret = remoteWriteSecretName("kube-prometheus-stack");

    it("is off unless a target is configured", () => {
        expect(values().prometheus.prometheusSpec.remoteWrite).toEqual([]);
    });

    it("sends every sample to each target, with its name, headers and queue tuning", () => {
        const [mimir, cloud, thanos] = remoteWrite();
        expect(mimir).toMatchObject({
            url: MIMIR,
            name: "mimir",
            headers: { "X-Scope-OrgID": "gpu-fleet" },
            queueConfig: { maxShards: 100 },
        });
        expect(cloud.url).toBe("https://prometheus-prod.grafana.net/api/prom/push");
        expect(thanos).toEqual({ url: "http://thanos-receive.thanos.svc:19291/api/v1/receive" });
    });

    it("refers to basic auth and bearer credentials by their keys in the component's Secret", () => {
        const [mimir, cloud] = remoteWrite();
        expect(mimir.basicAuth).toEqual({
            username: { name: secret, key: "target-0-username" },
            password: { name: secret, key: "target-0-password" },
        });
        expect(cloud.authorization).toEqual({ type: "Bearer", credentials: { name: secret, key: "target-1-token" } });
    });

    it("never puts a credential in the Helm values", () => {
        const json = JSON.stringify(values({ remoteWrite: TARGETS }));
        for (const credential of Object.values(CREDENTIALS)) expect(json).not.toContain(credential);
    });

    it("labels every series sent with the configured external labels", () => {
        expect(values({ externalLabels: { cluster: "gpu-prod-eu1" } }).prometheus.prometheusSpec.externalLabels).toEqual({
            cluster: "gpu-prod-eu1",
        });
    });
});

describe("container sizes", () => {
    // Every container of the release: the chart's, and those the operator adds to the Prometheus and
    // Alertmanager pods (config-reloader and init-config-reloader, sized by prometheusConfigReloader).
    const containers = (v: any): [string, any][] => [
        ["prometheus", v.prometheus.prometheusSpec.resources],
        ["alertmanager", v.alertmanager.alertmanagerSpec.resources],
        ["operator", v.prometheusOperator.resources],
        ["config-reloader", v.prometheusOperator.prometheusConfigReloader.resources],
        ["node-exporter", v["prometheus-node-exporter"].resources],
        ["kube-state-metrics", v["kube-state-metrics"].resources],
    ];

    it.each([
        ["dev", values()],
        ["production", production()],
    ])("give every container CPU and memory requests and limits in %s", (_profile, v) => {
        for (const [name, resources] of containers(v)) {
            for (const kind of ["requests", "limits"]) {
                for (const resource of ["cpu", "memory"]) {
                    expect([name, kind, resource, parseQuantity(resources?.[kind]?.[resource] ?? "")]).toEqual([
                        name,
                        kind,
                        resource,
                        expect.any(Number),
                    ]);
                }
            }
        }
    });

    it.each([
        ["alertmanagerResources", (v: any) => v.alertmanager.alertmanagerSpec.resources],
        ["operatorResources", (v: any) => v.prometheusOperator.resources],
        ["kubeStateMetricsResources", (v: any) => v["kube-state-metrics"].resources],
        ["nodeExporterResources", (v: any) => v["prometheus-node-exporter"].resources],
    ])("take %s from config", (key, resourcesOf) => {
        expect(resourcesOf(values({ [key]: { requests: { memory: "60Mi" } } })).requests.memory).toBe("60Mi");
    });

    it("give production's Prometheus the memory of about a million active series", () => {
        const { requests, limits } = production().prometheus.prometheusSpec.resources;
        expect(parseQuantity(requests.memory)).toBeGreaterThanOrEqual(8 * 2 ** 30);
        expect(parseQuantity(limits.memory)).toBeGreaterThanOrEqual(2 * parseQuantity(requests.memory)!);
    });

    it("keep node-exporter within dev's budget of each extra node, beside the log shipper and the DCGM exporter", () => {
        const config = validateStackConfig({});
        const sum = (resource: "cpu" | "memory", ...sizes: { requests: { cpu: string; memory: string } }[]) =>
            sizes.reduce((total, size) => total + parseQuantity(size.requests[resource])!, 0);
        const cpuNode = [config.prometheus.nodeExporterResources, config.logs.resources];
        const gpuNode = [...cpuNode, config.dcgmExporter.resources];
        expect(sum("cpu", ...cpuNode)).toBeLessThanOrEqual(0.15);
        expect(sum("memory", ...cpuNode)).toBeLessThanOrEqual(256 * 2 ** 20);
        expect(sum("cpu", ...gpuNode)).toBeLessThanOrEqual(0.3);
        expect(sum("memory", ...gpuNode)).toBeLessThanOrEqual(640 * 2 ** 20);
    });
});

describe("retentionSizeFor", () => {
    it.each([
        ["10Gi", "9216MB"],
        ["20Gi", "18432MB"],
        ["500Mi", "450MB"],
    ])("stops Prometheus at 90%% of a %s volume (%s)", (size, expected) => {
        expect(retentionSizeFor(size)).toBe(expected);
    });

    it("takes a configured size instead, at least 1MB (0 would turn the limit off)", () => {
        expect(retentionSizeFor("20Gi", "15Gi")).toBe("15360MB");
        expect(retentionSizeFor("20Gi", "512Ki")).toBe("1MB");
    });
});

describe("the Prometheus component", () => {
    it("exports the Prometheus and Alertmanager Service URLs of its release", async () => {
        const run = await runUserProgram(({ Prometheus }) => {
            const prometheus = new Prometheus("metrics", { namespace: "mon", settings: validateStackConfig({}).prometheus });
            return { prometheus: prometheus.prometheusUrl, alertmanager: prometheus.alertmanagerUrl };
        });
        expect(run.outputs).toEqual({
            prometheus: "http://kube-prometheus-stack-prometheus.mon.svc.cluster.local:9090",
            alertmanager: "http://kube-prometheus-stack-alertmanager.mon.svc.cluster.local:9093",
        });
    });

    it("exports the remote-write receiver of each replica, for writers whose series every replica must hold", async () => {
        const run = await runUserProgram(({ Prometheus }) => {
            const prometheus = new Prometheus("metrics", { namespace: "mon", settings: settingsOf(PRODUCTION) });
            return { urls: prometheus.remoteWriteUrls };
        });
        expect(run.outputs.urls).toEqual([
            "http://kube-prometheus-stack-prometheus-0.mon.svc.cluster.local:9090/api/v1/write",
            "http://kube-prometheus-stack-prometheus-1.mon.svc.cluster.local:9090/api/v1/write",
        ]);
    });

    it("points each replica's receiver at a Service the chart renders", async () => {
        const run = await runUserProgram(({ Prometheus }) => {
            const prometheus = new Prometheus("metrics", { namespace: "observability", settings: settingsOf({}) });
            return { urls: prometheus.remoteWriteUrls };
        });
        expect(run.outputs.urls).toHaveLength(1);
        for (const url of run.outputs.urls as string[]) expect(releaseServing(url)).toBe("kube-prometheus-stack");
    });

    describe("with remote-write credentials", () => {
        let run: ProgramRun;
        const secretOf = (r: ProgramRun) =>
            r.resources.find(
                (x) => x.type === "kubernetes:core/v1:Secret" && x.inputs.metadata.name === "kube-prometheus-stack-remote-write",
            );
        beforeAll(async () => {
            run = await runUserProgram(({ Prometheus }) => {
                new Prometheus("metrics", { namespace: "mon", settings: settingsOf({ prometheus: { remoteWrite: TARGETS } }) });
                return {};
            });
        });

        it("keeps them in a Secret of the release's namespace, as a Pulumi secret", () => {
            expect(run.error).toBeUndefined();
            const secret = secretOf(run);
            expect(secret?.inputs.metadata.namespace).toBe("mon");
            expect(isSecretEnvelope(secret?.inputs.stringData)).toBe(true);
            expect(secret?.inputs.stringData.value).toEqual({
                "target-0-username": CREDENTIALS.username,
                "target-0-password": CREDENTIALS.password,
                "target-1-token": CREDENTIALS.token,
            });
        });

        it("installs the release after the Secret, so the operator finds it", () => {
            const release = run.resources.find((r) => r.type === "kubernetes:helm.sh/v3:Release");
            expect(release?.dependencies).toContain(secretOf(run)?.urn);
        });

        it("puts them nowhere else", () => {
            const elsewhere = JSON.stringify(run.resources.filter((r) => r !== secretOf(run)).map((r) => r.inputs));
            for (const credential of Object.values(CREDENTIALS)) expect(elsewhere).not.toContain(credential);
        });
    });

    it("creates no Secret when no target has credentials", async () => {
        const run = await runUserProgram(({ Prometheus }) => {
            new Prometheus("metrics", { namespace: "mon", settings: settingsOf({ prometheus: { remoteWrite: [{ url: MIMIR }] } }) });
            return {};
        });
        expect(run.resources.filter((r) => r.type === "kubernetes:core/v1:Secret")).toEqual([]);
    });

    it("takes credentials set with --secret from the stack config, and no Helm release carries them", async () => {
        const secure = { secure: "v1:c2VjcmV0LWluLXRoZS1zdGFjay1maWxl" };
        const run = await runIndex(stackConfig({ prometheus: { remoteWrite: [{ url: MIMIR, bearerToken: secure }] } }));
        expect(run.error).toBeUndefined();
        const secret = run.resources.find((r) => r.inputs.metadata?.name === "kube-prometheus-stack-remote-write");
        expect(secret?.inputs.stringData.value["target-0-token"]).toBe("offline-plan-placeholder-secret");
        expect(valuesOf(run, "kube-prometheus-stack").prometheus.prometheusSpec.remoteWrite[0].authorization.credentials.key).toBe(
            "target-0-token",
        );
        const helmValues = JSON.stringify(run.resources.filter((r) => r.type.startsWith("kubernetes:helm")).map((r) => r.inputs.values));
        expect(helmValues).not.toContain("offline-plan-placeholder-secret");
    });
});
