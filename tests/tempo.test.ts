// Tempo: monolithic (chart tempo) in dev, Tempo 3 microservices (chart tempo-distributed) in
// production, blocks in the stack's object store, the same outputs and flows in both modes.
import * as fs from "fs";
import * as path from "path";
import YAML from "yaml";
import { ObjectStore, objectStoreFor } from "../components/objectStorage";
import { networkPolicySpec, stackNetworkPolicies } from "../components/networkPolicies";
import { TEMPO_EXPORTER } from "../components/otelCollector";
import { spreadAffinity, topologySpread } from "../components/placement";
import { TEMPO_TARGETS, tempoDistributedPods, tempoValues } from "../components/tempo";
import { CHARTS, PROFILE_DEFAULTS, validateStackConfig } from "../config";
import { parseQuantity } from "../config/formats";
import { KAFKA_PARTITION_RULE, tempoConfigSchema, TempoComponentName } from "../config/tempo";
import { parseServiceAddress, RENDERED_SELECTORS, RENDERED_SERVICES } from "./fixtures/renderedServices";
import { PROJECT_DIR, ProgramRun, release, runIndex, runUserProgram, stackConfig, valuesOf } from "./helpers/run";
import { chartFile } from "./helpers/shared";

const PROMETHEUS_WRITE = "http://kube-prometheus-stack-prometheus-0.observability.svc.cluster.local:9090/api/v1/write";
const KAFKA = "my-cluster-kafka-bootstrap.kafka.svc:9092";
const SECRET = "object-storage-credentials";

/** The object store the stack hands Tempo for an `objectStorage` config (its credentials Secret, unless workload identity). */
function storeFor(objectStorage: Record<string, unknown>): ObjectStore {
    const config = validateStackConfig({ objectStorage }).objectStorage;
    const secret = config.provider === "minio" || config.credentials ? SECRET : undefined;
    return objectStoreFor({ ...config, provider: config.provider! }, "observability", "minio", secret);
}

const MINIO = () => storeFor({ provider: "minio" });

/** Monolithic values for a `tempo` config. */
const values = (tempo: Record<string, unknown> = {}, storageClass?: string, objectStore?: ObjectStore): any =>
    tempoValues({
        settings: validateStackConfig({ tempo }).tempo,
        storageClass,
        serviceMonitors: true,
        releaseName: "tempo",
        namespace: "observability",
        objectStore,
    });

/** The config file Tempo reads: the chart's `config` value, which the stack writes whole. */
const tempoYaml = (values: any): any => YAML.parse(values.config);

// Production's Tempo settings under the dev profile: what other subsystems' production defaults
// require is not what these tests are about.
const PRODUCTION_TEMPO = PROFILE_DEFAULTS.production.tempo!;
const distributedTempo = (tempo: Record<string, any> = {}) => ({
    ...PRODUCTION_TEMPO,
    ...tempo,
    kafka: { ...PRODUCTION_TEMPO.kafka, address: KAFKA, ...tempo.kafka },
    distributed: { ...PRODUCTION_TEMPO.distributed, ...tempo.distributed },
});

/** Distributed values: production's Tempo settings and Kafka, the given store, and Prometheus unless `null`. */
const distributed = (
    tempo: Record<string, any> = {},
    objectStore: ObjectStore = MINIO(),
    prometheus: string | null = PROMETHEUS_WRITE,
): any => {
    const config = validateStackConfig({ objectStorage: { provider: "minio" }, tempo: distributedTempo(tempo) });
    return tempoValues({
        settings: config.tempo,
        serviceMonitors: true,
        releaseName: "tempo",
        namespace: "observability",
        objectStore,
        metricsRemoteWriteUrls: prometheus === null ? undefined : [prometheus],
    });
};

/** A stack file with production's Tempo on MinIO and an existing Kafka (Loki and its shipper off: not what is tested here). */
const DISTRIBUTED_STACK = {
    objectStorage: { provider: "minio" },
    tempo: distributedTempo(),
    loki: { enabled: false },
    logs: { enabled: false },
};

const COMPONENTS = Object.keys(TEMPO_TARGETS) as TempoComponentName[];

describe("Tempo values (monolithic)", () => {
    it("receive OTLP only, gRPC on 4317 and HTTP on 4318, as production does", () => {
        expect(tempoYaml(values()).distributor.receivers).toEqual({
            otlp: { protocols: { grpc: { endpoint: "0.0.0.0:4317" }, http: { endpoint: "0.0.0.0:4318" } } },
        });
    });

    it("publish no Jaeger port: every receiver endpoint the chart's Service would open for Jaeger is blank", () => {
        // templates/_ports.tpl adds a Service port per Jaeger protocol whose endpoint is set.
        const chartJaeger = YAML.parse(chartFile(CHARTS.tempo, "values.yaml")).tempo.receivers.jaeger.protocols;
        const ours = values().tempo.receivers.jaeger.protocols;
        expect(Object.keys(ours).sort()).toEqual(Object.keys(chartJaeger).sort());
        for (const protocol of Object.values(ours)) expect(protocol).toEqual({ endpoint: "" });
        for (const port of [14250, 14268, 6831, 6832]) expect(RENDERED_SERVICES.tempo.tempo).not.toContain(port);
        expect(RENDERED_SERVICES.tempo.tempo).toEqual(expect.arrayContaining([4317, 4318, 3200]));
    });

    it("write Tempo's whole config file, with no template for the chart's tpl to evaluate", () => {
        const v = values();
        expect(typeof v.config).toBe("string");
        expect(v.config).not.toContain("{{");
        expect(tempoYaml(v)).toMatchObject({
            memberlist: { cluster_label: "tempo.observability" },
            usage_report: { reporting_enabled: false },
        });
    });

    it("keep traces and the write-ahead log on a PersistentVolumeClaim when there is no object store", () => {
        const v = values({ storageSize: "20Gi" }, "fast-ssd");
        expect(v.persistence).toMatchObject({ enabled: true, size: "20Gi", storageClassName: "fast-ssd" });
        expect(tempoYaml(v).storage.trace).toEqual({
            backend: "local",
            local: { path: "/var/tempo/traces" },
            wal: { path: "/var/tempo/wal" },
        });
    });

    it("keep trace blocks in the object store's tempo bucket, and only the write-ahead log on the volume", () => {
        const v = values({}, undefined, MINIO());
        expect(tempoYaml(v).storage.trace).toEqual({
            backend: "s3",
            s3: {
                bucket: "tempo-traces",
                endpoint: "minio.observability.svc.cluster.local:9000",
                region: "us-east-1",
                insecure: true,
                forcepathstyle: true,
            },
            wal: { path: "/var/tempo/wal" },
        });
        expect(v.tempo.extraEnvFrom).toEqual([{ secretRef: { name: SECRET } }]);
        expect(v.persistence.enabled).toBe(true);
    });

    it("omit the StorageClass when none is configured, so the cluster default applies", () => {
        expect(values().persistence).not.toHaveProperty("storageClassName");
    });

    it("pass the retention to the compactor as a Go duration, which is all Tempo parses", () => {
        expect(tempoYaml(values({ retention: "14d" })).compactor.compaction.block_retention).toBe("336h");
        expect(tempoYaml(values()).compactor.compaction.block_retention).toBe("168h");
    });

    it("size the Tempo container from config and bound Go's heap by its limit", () => {
        const v = values({ resources: { limits: { memory: "2Gi" } } });
        expect(v.tempo.resources.limits.memory).toBe("2Gi");
        expect(v.tempo.memBallastSizeMbs).toBe(0);
        expect(v.tempo.extraEnv).toContainEqual({ name: "GOMEMLIMIT", valueFrom: { resourceFieldRef: { resource: "limits.memory" } } });
    });

    it("turn its ServiceMonitor on only when Prometheus' CRDs are there", () => {
        expect(values().serviceMonitor.enabled).toBe(true);
        const settings = validateStackConfig({}).tempo;
        const unmonitored = tempoValues({ settings, serviceMonitors: false, releaseName: "tempo", namespace: "observability" }) as any;
        expect(unmonitored.serviceMonitor.enabled).toBe(false);
    });
});

describe("Tempo's ingestion limits", () => {
    const limits = { ingestionRate: "30M", ingestionBurst: "40M", maxLiveTraces: 50_000, maxTraceSize: "10Mi" };
    const expected = {
        ingestion: { rate_strategy: "global", rate_limit_bytes: 30_000_000, burst_size_bytes: 40_000_000, max_traces_per_user: 50_000 },
        global: { max_bytes_per_trace: 10 * 2 ** 20 },
    };

    it("bound the tenant across all distributors, so more distributors do not let more in than the stores are sized for", () => {
        expect(tempoYaml(distributed({ limits }, MINIO(), null)).overrides.defaults.ingestion.rate_strategy).toBe("global");
    });

    it("refuse spans in production below what its three live-stores are sized for", () => {
        const { tempo } = validateStackConfig({
            profile: "production",
            objectStorage: { provider: "minio" },
            tempo: { kafka: { address: KAFKA } },
            grafana: { replicas: 1 },
        });
        expect(tempo.limits.ingestionRate).toBe("8M");
        expect(tempo.limits.ingestionBurst).toBe("12M");
    });

    it("reach Tempo's overrides of every tenant in bytes, in monolithic mode", () => {
        expect(tempoYaml(values({ limits })).overrides.defaults).toEqual(expected);
    });

    it("reach Tempo's overrides of every tenant in bytes, in distributed mode", () => {
        expect(tempoYaml(distributed({ limits }, MINIO(), null)).overrides.defaults).toEqual(expected);
    });

    it("default to Tempo's own: 15 MB/s, 20 MB bursts, 10,000 live traces, 5 MB per trace", () => {
        expect(tempoYaml(values()).overrides.defaults).toEqual({
            ingestion: { rate_strategy: "global", rate_limit_bytes: 15_000_000, burst_size_bytes: 20_000_000, max_traces_per_user: 10_000 },
            global: { max_bytes_per_trace: 5_000_000 },
        });
    });
});

describe("Tempo's gRPC messages", () => {
    const MiB = 2 ** 20;
    // Every hop a trace loaded by ID crosses: a live-store or ingester sends it to a querier, whose
    // frontend worker sends it to the query-frontend, which receives it.
    const hops = (config: any) => [
        config.server.grpc_server_max_send_msg_size,
        config.server.grpc_server_max_recv_msg_size,
        config.querier.frontend_worker.grpc_client_config.max_send_msg_size,
    ];
    const profiles: [string, (limits: Record<string, unknown>) => any][] = [
        ["dev (monolithic Tempo 2)", (limits) => tempoYaml(values({ limits }))],
        ["production (Tempo 3 microservices)", (limits) => tempoYaml(distributed({ limits }))],
    ];

    it.each(profiles)("in %s, are above the largest trace the limits accept, for any maxTraceSize allowed", (_profile, config) => {
        for (const maxTraceSize of ["1M", "5M", "20Mi", "50M"]) {
            const largest = parseQuantity(maxTraceSize)!;
            for (const size of hops(config({ maxTraceSize }))) {
                expect(size).toBeGreaterThanOrEqual(2 * largest);
                // What the querier's clients receive (dskit grpcclient's max_recv_msg_size default).
                expect(size).toBeLessThanOrEqual(100 * MiB);
            }
        }
    });

    it.each(profiles)("in %s, never fall below Tempo's own 16 MiB", (_profile, config) => {
        expect(hops(config({ maxTraceSize: "1M" }))).toEqual([16 * MiB, 16 * MiB, 16 * MiB]);
    });

    it("are 16 MiB in the committed production plan, above its 5 MB traces (the chart's 4 MiB was below them)", () => {
        const plan = YAML.parse(fs.readFileSync(path.join(PROJECT_DIR, "plan/production/tempo.values.yaml"), "utf8"));
        const config = YAML.parse(plan.config);
        expect(config.overrides.defaults.global.max_bytes_per_trace).toBe(5_000_000);
        expect(hops(config)).toEqual([16 * MiB, 16 * MiB, 16 * MiB]);
    });

    it("refuse a maxTraceSize above 50M, which no gRPC client of Tempo's would receive at twice its size", () => {
        expect(() => validateStackConfig({ tempo: { limits: { maxTraceSize: "60M" } } })).toThrow(
            "tempo.limits.maxTraceSize: 60M is above 50M; a trace loaded by ID crosses gRPC as one message, sized at twice the largest trace, and Tempo's gRPC clients receive at most 100 MiB",
        );
        expect(() => validateStackConfig({ tempo: { limits: { maxTraceSize: "50M" } } })).not.toThrow();
    });
});

describe("Tempo's object storage", () => {
    const trace = (objectStorage: Record<string, unknown>) => tempoYaml(values({}, undefined, storeFor(objectStorage))).storage.trace;
    const pod = (objectStorage: Record<string, unknown>) => values({}, undefined, storeFor(objectStorage)).tempo;

    it.each([
        ["an AWS region only, AWS' regional endpoint", { region: "eu-west-1" }, "s3.eu-west-1.amazonaws.com", false, false],
        [
            "an S3-compatible endpoint, as configured",
            { endpoint: "s3.internal:9000", insecure: true, forcePathStyle: true },
            "s3.internal:9000",
            true,
            true,
        ],
    ])("speaks S3 to %s", (_what, s3, endpoint, insecure, forcepathstyle) => {
        const store = { provider: "s3", s3, credentials: { accessKeyId: "AKIA-test", secretAccessKey: "s3cr3t-value" } };
        expect(trace(store).backend).toBe("s3");
        expect(trace(store).s3).toMatchObject({ bucket: "tempo-traces", endpoint, insecure, forcepathstyle });
        // Tempo's S3 client reads AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY from the environment first.
        expect(pod(store).extraEnvFrom).toEqual([{ secretRef: { name: SECRET } }]);
    });

    it("mounts the GCS key file from the Secret and points Google's client at it", () => {
        const v = values({}, undefined, storeFor({ provider: "gcs", credentials: { gcsServiceAccountKey: "{}" } }));
        expect(tempoYaml(v).storage.trace).toMatchObject({ backend: "gcs", gcs: { bucket_name: "tempo-traces" } });
        expect(v.extraVolumes).toEqual([
            { name: SECRET, secret: { secretName: SECRET, items: [{ key: "gcs-key.json", path: "gcs-key.json" }] } },
        ]);
        expect(v.tempo.extraVolumeMounts).toEqual([{ name: SECRET, mountPath: "/var/secrets/object-storage", readOnly: true }]);
        expect(v.tempo.extraEnv).toContainEqual({
            name: "GOOGLE_APPLICATION_CREDENTIALS",
            value: "/var/secrets/object-storage/gcs-key.json",
        });
    });

    it("expands Azure's account key into the config from the Secret's environment", () => {
        const store = { provider: "azure", azure: { accountName: "gpuobs" }, credentials: { azureAccountKey: "k3y-value" } };
        expect(trace(store)).toMatchObject({
            backend: "azure",
            azure: { container_name: "tempo-traces", storage_account_name: "gpuobs", storage_account_key: "${AZURE_STORAGE_ACCOUNT_KEY}" },
        });
        expect(pod(store).extraArgs).toEqual({ "config.expand-env": "true" });
        expect(pod(store).extraEnvFrom).toEqual([{ secretRef: { name: SECRET } }]);
    });

    it("uses Azure Workload Identity when there is no key: federated token, pod label, service account annotation", () => {
        const annotations = { "azure.workload.identity/client-id": "00000000-0000-0000-0000-000000000000" };
        const v = values(
            {},
            undefined,
            storeFor({ provider: "azure", azure: { accountName: "gpuobs" }, serviceAccountAnnotations: annotations }),
        );
        expect(tempoYaml(v).storage.trace.azure).toMatchObject({ use_federated_token: true });
        expect(tempoYaml(v).storage.trace.azure).not.toHaveProperty("storage_account_key");
        expect(v.podLabels).toEqual({ "azure.workload.identity/use": "true" });
        expect(v.serviceAccount.annotations).toEqual(annotations);
        expect(v.tempo).not.toHaveProperty("extraEnvFrom");
    });

    it("annotates the service account for AWS workload identity, with no Secret in the pod", () => {
        const annotations = { "eks.amazonaws.com/role-arn": "arn:aws:iam::123456789012:role/tempo" };
        const v = distributed({}, storeFor({ provider: "s3", s3: { region: "us-east-1" }, serviceAccountAnnotations: annotations }));
        expect(v.serviceAccount.annotations).toEqual(annotations);
        expect(v.defaults.extraEnvFrom).toEqual([]);
    });

    it("never puts a credential into Helm values", () => {
        const stores = [
            storeFor({
                provider: "s3",
                s3: { region: "eu-west-1" },
                credentials: { accessKeyId: "AKIA-test", secretAccessKey: "s3cr3t-value" },
            }),
            storeFor({ provider: "gcs", credentials: { gcsServiceAccountKey: "gcs-s3cr3t-value" } }),
            storeFor({ provider: "azure", azure: { accountName: "gpuobs" }, credentials: { azureAccountKey: "k3y-value" } }),
        ];
        for (const store of stores) {
            for (const v of [values({}, undefined, store), distributed({}, store)]) {
                expect(JSON.stringify(v)).not.toMatch(/AKIA-test|s3cr3t-value|k3y-value/);
            }
        }
    });
});

describe("Tempo's metrics generator", () => {
    it("writes service graphs and span metrics, with exemplars, to Prometheus' remote-write output", async () => {
        const { runIndex, devStackConfig, valuesOf } = await import("./helpers/run");
        const run = await runIndex(devStackConfig());
        const tempo = tempoYaml(valuesOf(run, "tempo"));
        expect(valuesOf(run, "tempo").tempo.metricsGenerator).toEqual({ enabled: true });
        expect(tempo.metrics_generator.storage.remote_write).toEqual([
            { url: `${String(run.outputs.prometheusUrl).replace("-prometheus.", "-prometheus-0.")}/api/v1/write`, send_exemplars: true },
        ]);
        expect(tempo.overrides.defaults.metrics_generator.processors).toEqual(["service-graphs", "span-metrics"]);
        expect(valuesOf(run, "kube-prometheus-stack").prometheus.prometheusSpec.enableRemoteWriteReceiver).toBe(true);
    });

    it("writes to every Prometheus replica, since no scrape would fill another's gaps", async () => {
        const run = await runIndex(stackConfig({ prometheus: { replicas: 2 } }));
        expect(tempoYaml(valuesOf(run, "tempo")).metrics_generator.storage.remote_write.map((target: any) => target.url)).toEqual([
            "http://kube-prometheus-stack-prometheus-0.observability.svc.cluster.local:9090/api/v1/write",
            "http://kube-prometheus-stack-prometheus-1.observability.svc.cluster.local:9090/api/v1/write",
        ]);
    });

    it("stays off when Prometheus is not installed", async () => {
        const run = await runIndex(stackConfig({ prometheus: { enabled: false } }));
        expect(valuesOf(run, "tempo").tempo.metricsGenerator).toBeUndefined();
        expect(tempoYaml(valuesOf(run, "tempo"))).not.toHaveProperty("metrics_generator");
        expect(tempoYaml(valuesOf(run, "tempo")).overrides.defaults).not.toHaveProperty("metrics_generator");
    });

    it("keeps working in distributed mode: its own component, remote-writing with exemplars", () => {
        const v = distributed();
        expect(v.metricsGenerator.enabled).toBe(true);
        expect(tempoYaml(v).metrics_generator.storage.remote_write).toEqual([{ url: PROMETHEUS_WRITE, send_exemplars: true }]);
        expect(tempoYaml(v).overrides.defaults.metrics_generator.processors).toEqual(["service-graphs", "span-metrics"]);
        expect(distributed({}, MINIO(), null).metricsGenerator.enabled).toBe(false);
        expect(tempoYaml(distributed({}, MINIO(), null))).not.toHaveProperty("metrics_generator");
    });
});

describe("the Tempo component", () => {
    it("exports its OTLP gRPC, OTLP HTTP and query endpoints, named after its release", async () => {
        const run = await runUserProgram(({ Tempo }) => {
            const tempo = new Tempo("traces", { namespace: "apps", settings: validateStackConfig({}).tempo, releaseName: "traces" });
            return { grpc: tempo.otlpGrpcEndpoint, http: tempo.otlpHttpEndpoint, query: tempo.queryUrl };
        });
        expect(run.outputs).toEqual({
            grpc: "traces.apps.svc.cluster.local:4317",
            http: "http://traces.apps.svc.cluster.local:4318",
            query: "http://traces.apps.svc.cluster.local:3200",
        });
    });

    it("refuses distributed mode without an object store", async () => {
        const run = await runUserProgram(({ Tempo }) => {
            const settings = validateStackConfig({
                tempo: { mode: "distributed", kafka: { address: KAFKA } },
                objectStorage: { provider: "minio" },
            }).tempo;
            new Tempo("traces", { namespace: "apps", settings });
            return {};
        });
        expect(run.error?.message).toMatch(/mode distributed keeps its blocks in object storage; pass args.objectStorage/);
    });
});

describe("Tempo in distributed mode (production's settings)", () => {
    let run: ProgramRun;
    beforeAll(async () => {
        run = await runIndex(stackConfig(DISTRIBUTED_STACK));
    });

    it("is the production profile's default, and dev's is monolithic", () => {
        expect(PROFILE_DEFAULTS.production.tempo?.mode).toBe("distributed");
        expect(validateStackConfig({}).tempo.mode).toBe("monolithic");
    });

    it("installs tempo-distributed 3.3.0 as release tempo", () => {
        expect(run.error).toBeUndefined();
        const tempo = release(run, "tempo");
        expect(tempo.inputs.chart).toBe(CHARTS.tempoDistributed.chart);
        expect(tempo.inputs.version).toBe("3.3.0");
    });

    it("sends the collector's spans to the distributors' OTLP gRPC Service (host:port, no scheme)", () => {
        const endpoint = valuesOf(run, "otel-collector").alternateConfig.exporters[TEMPO_EXPORTER].endpoint;
        expect(endpoint).toBe("tempo-distributor.observability.svc.cluster.local:4317");
        expect(RENDERED_SERVICES.tempo[parseServiceAddress(endpoint).service]).toContain(4317);
    });

    it("points Grafana's Tempo datasource at the query-frontend's HTTP Service", () => {
        const datasources = valuesOf(run, "grafana").datasources["datasources.yaml"].datasources;
        const url = datasources.find((d: any) => d.type === "tempo").url;
        expect(url).toBe("http://tempo-query-frontend.observability.svc.cluster.local:3200");
        expect(run.outputs.tempoQueryUrl).toBe(url);
        expect(RENDERED_SERVICES.tempo[parseServiceAddress(url).service]).toContain(3200);
    });

    it("exports an OTLP HTTP endpoint the distributors' Service serves", async () => {
        const out = await runUserProgram(({ Tempo }) => {
            const settings = validateStackConfig(DISTRIBUTED_STACK).tempo;
            const objectStorage = { store: require("@pulumi/pulumi").output(MINIO()), ready: [] };
            const tempo = new Tempo("traces", { namespace: "observability", settings, objectStorage });
            return { http: tempo.otlpHttpEndpoint };
        });
        expect(out.outputs.http).toBe("http://tempo-distributor.observability.svc.cluster.local:4318");
        expect(RENDERED_SERVICES.tempo["tempo-distributor"]).toContain(4318);
    });

    it("waits for the object store: the credentials Secret and MinIO", () => {
        const minio = release(run, "minio");
        const secret = run.resources.find((r) => r.type === "kubernetes:core/v1:Secret" && r.inputs.metadata?.name === SECRET)!;
        expect(release(run, "tempo").dependencies).toEqual(expect.arrayContaining([minio.urn, secret.urn]));
    });

    it("writes spans through the configured Kafka, with one block-builder and one live-store per partition", () => {
        const v = distributed({ kafka: { topic: "gpu-traces", partitions: 6 } });
        expect(v.blockBuilder).toMatchObject({ enabled: true, replicas: 6 });
        expect(v.liveStore).toMatchObject({ enabled: true, replicas: 6 });
        expect(valuesOf(run, "tempo").liveStore.replicas).toBe(3);
    });

    it("never creates the topic, which would set the Kafka cluster's num.partitions for every topic", () => {
        const v = distributed({ kafka: { topic: "gpu-traces", partitions: 6 } });
        expect(tempoYaml(v).ingest.kafka).toEqual({ address: KAFKA, topic: "gpu-traces", auto_create_topic_enabled: false });
        // The chart refuses block-builders and live-stores without an address (templates/validate.yaml).
        expect(v.ingest.kafka).toEqual({ address: KAFKA });
    });

    it("stores blocks in the object store's tempo bucket, credentials from the Secret's environment", () => {
        const v = valuesOf(run, "tempo");
        expect(tempoYaml(v).storage.trace).toEqual({
            backend: "s3",
            s3: {
                bucket: "tempo-traces",
                endpoint: "minio.observability.svc.cluster.local:9000",
                region: "us-east-1",
                insecure: true,
                forcepathstyle: true,
            },
        });
        expect(v.defaults.extraEnvFrom).toEqual([{ secretRef: { name: SECRET } }]);
    });

    it("keeps traces for the retention where Tempo enforces it: the backend workers' block retention (a Go duration)", () => {
        expect(tempoYaml(distributed({ retention: "14d" })).backend_worker.compaction.block_retention).toBe("336h");
        expect(tempoYaml(valuesOf(run, "tempo")).backend_worker.compaction.block_retention).toBe("168h");
    });

    it("writes no backend-scheduler retention, which the scheduler never reads", () => {
        // Its provider.compaction.compaction is read only by the block selector (compaction_window,
        // max_compaction_objects, max_block_bytes), all at Tempo's defaults here.
        expect(tempoYaml(valuesOf(run, "tempo"))).not.toHaveProperty("backend_scheduler");
        expect(valuesOf(run, "tempo").backendScheduler).not.toHaveProperty("config");
    });

    it("runs the replicas and sizes of the production profile, each container with requests and limits", () => {
        const v = valuesOf(run, "tempo");
        const profile = PROFILE_DEFAULTS.production.tempo!.distributed as Record<string, any>;
        for (const component of COMPONENTS) {
            expect(v[component].resources).toEqual(profile[component].resources);
            if (profile[component].replicas) expect(v[component].replicas).toBe(profile[component].replicas);
        }
        expect([v.distributor.replicas, v.queryFrontend.replicas, v.querier.replicas, v.metricsGenerator.replicas]).toEqual([3, 2, 2, 2]);
    });

    it("sizes each component from config", () => {
        const resources = { requests: { cpu: "3", memory: "6Gi" }, limits: { cpu: "4", memory: "8Gi" } };
        for (const component of COMPONENTS) {
            const v = distributed({ distributed: { [component]: { resources } } });
            expect(v[component].resources).toEqual(resources);
        }
    });

    it("spreads every component's replicas over zones and nodes, preferred, as the YAML strings the chart templates", () => {
        const v = valuesOf(run, "tempo");
        for (const component of COMPONENTS) {
            const pods = tempoDistributedPods("tempo", component);
            expect(YAML.parse(v[component].affinity)).toEqual(spreadAffinity(pods));
            expect(YAML.parse(v[component].topologySpreadConstraints)).toEqual(topologySpread(pods));
        }
    });

    it("budgets disruptions of replicated components only, one pod at a time", () => {
        const v = valuesOf(run, "tempo");
        for (const component of [
            "distributor",
            "queryFrontend",
            "querier",
            "metricsGenerator",
            "backendWorker",
            "blockBuilder",
            "liveStore",
        ]) {
            expect(v[component]).toMatchObject({ podDisruptionBudget: { enabled: true }, maxUnavailable: 1 });
        }
        const single = distributed({ kafka: { partitions: 1 }, distributed: { querier: { replicas: 1 } } });
        expect(single.querier.podDisruptionBudget.enabled).toBe(false);
        expect(single.liveStore.podDisruptionBudget.enabled).toBe(false);
    });

    it("turns off what a self-hosted OSS install does not need: gateway, memcached, Jaeger UI, agents, rollout-operator, usage reports", () => {
        const v = valuesOf(run, "tempo");
        expect(v.gateway.enabled).toBe(false);
        expect(v.memcached.enabled).toBe(false);
        // The config names no cache, so nothing points at the memcached that is off.
        expect(tempoYaml(v)).not.toHaveProperty("cache");
        expect(v.queryFrontend.query.enabled).toBe(false);
        expect(v.metaMonitoring.grafanaAgent).toEqual({ enabled: false, installOperator: false });
        expect(v.rollout_operator.enabled).toBe(false);
        expect(tempoYaml(v).usage_report).toEqual({ reporting_enabled: false });
    });

    it("receives OTLP only, over gRPC and HTTP", () => {
        expect(valuesOf(run, "tempo").traces).toEqual({ otlp: { grpc: { enabled: true }, http: { enabled: true } } });
        expect(tempoYaml(valuesOf(run, "tempo")).distributor.receivers).toEqual({
            otlp: { protocols: { grpc: { endpoint: "0.0.0.0:4317" }, http: { endpoint: "0.0.0.0:4318" } } },
        });
    });

    it("writes Tempo's whole config file: the chart's wiring to its own Services, and no template for its tpl", () => {
        const v = valuesOf(run, "tempo");
        expect(v.config).not.toContain("{{");
        const config = tempoYaml(v);
        expect(config.memberlist).toMatchObject({ cluster_label: "tempo.observability", join_members: ["dns+tempo-gossip-ring:7946"] });
        expect(config.backend_worker.backend_scheduler_addr).toBe("tempo-backend-scheduler:9095");
        expect(config.querier.frontend_worker.frontend_address).toBe("tempo-query-frontend-discovery:9095");
        for (const service of ["tempo-gossip-ring", "tempo-backend-scheduler", "tempo-query-frontend-discovery"]) {
            expect(RENDERED_SERVICES.tempo[service]).toBeDefined();
        }
    });

    it("leaves out what Tempo 3 would ignore: a local trace path beside the bucket, a null metrics-generator WAL", () => {
        const config = tempoYaml(valuesOf(run, "tempo"));
        expect(config.storage.trace).not.toHaveProperty("local");
        expect(config.metrics_generator.storage).not.toHaveProperty("wal");
        expect(config.metrics_generator.storage.path).toBe("/var/tempo/wal");
    });

    it("runs every container restricted, as Tempo's own user", () => {
        const v = valuesOf(run, "tempo");
        expect(v.tempo.securityContext).toMatchObject({
            readOnlyRootFilesystem: true,
            allowPrivilegeEscalation: false,
            capabilities: { drop: ["ALL"] },
            runAsUser: 10001,
        });
        expect(v.tempo.podSecurityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 10001, fsGroup: 10001 });
    });

    it("has its ServiceMonitors on, as Prometheus' CRDs are there", () => {
        expect(valuesOf(run, "tempo").metaMonitoring.serviceMonitor.enabled).toBe(true);
    });
});

describe("Tempo 3's Kafka partitions", () => {
    const invalid = (tempo: Record<string, any>) => () =>
        validateStackConfig({ objectStorage: { provider: "minio" }, tempo: distributedTempo(tempo) });

    it("are 0 to partitions-1: live-store n and block-builder n for each, block-builder n reading partition n only", () => {
        const v = distributed({ kafka: { partitions: 5 } });
        expect([v.liveStore.replicas, v.blockBuilder.replicas]).toEqual([5, 5]);
        // modules/blockbuilder/config.go AssignedPartitions: pod n reads n x partitions_per_instance onwards.
        expect(tempoYaml(v).block_builder).toEqual({ partitions_per_instance: 1 });
    });

    it("refuse extraValues that would run another count of live-stores or block-builders, naming the rule", () => {
        for (const component of ["liveStore", "blockBuilder"]) {
            expect(invalid({ kafka: { partitions: 3 }, extraValues: { [component]: { replicas: 4 } } })).toThrow(
                `tempo.extraValues.${component}.replicas: is 4, but Tempo runs exactly tempo.kafka.partitions (3) live-stores and block-builders: ${KAFKA_PARTITION_RULE}; set tempo.kafka.partitions instead`,
            );
        }
        expect(invalid({ kafka: { partitions: 3 }, extraValues: { liveStore: { replicas: 3 } } })).not.toThrow();
    });

    it("refuse a block-builder partition assignment through structuredConfig, and nothing else of block_builder", () => {
        const structured = (blockBuilder: Record<string, unknown>) => ({
            extraValues: { tempo: { structuredConfig: { block_builder: blockBuilder } } },
        });
        expect(invalid(structured({ partitions_per_instance: 2 }))).toThrow(
            /block_builder.partitions_per_instance: would change which partitions/,
        );
        expect(invalid(structured({ assigned_partitions: { "tempo-block-builder-0": [0, 1] } }))).toThrow(/assigned_partitions/);
        expect(invalid(structured({ consume_cycle_duration: "1m" }))).not.toThrow();
    });

    it("are described by the same rule in the schema, the configuration reference and the README", () => {
        const oneLine = (text: string) => text.replace(/\s+/g, " ");
        const partitions = (tempoConfigSchema.shape.kafka as any).unwrap().shape.partitions.description;
        expect(partitions).toContain(KAFKA_PARTITION_RULE);
        expect(oneLine(fs.readFileSync(path.join(PROJECT_DIR, "docs/configuration.md"), "utf8"))).toContain(KAFKA_PARTITION_RULE);
        expect(oneLine(fs.readFileSync(path.join(PROJECT_DIR, "README.md"), "utf8"))).toContain(KAFKA_PARTITION_RULE);
    });
});

describe("NetworkPolicies of distributed Tempo", () => {
    let policies: Record<string, any>;
    beforeAll(async () => {
        const run = await runIndex(stackConfig(DISTRIBUTED_STACK));
        policies = Object.fromEntries(
            run.resources
                .filter((r) => r.type === "kubernetes:networking.k8s.io/v1:NetworkPolicy")
                .map((r) => [r.inputs.metadata.name, r.inputs.spec]),
        );
    });
    const peers = (policy: string, port: number) =>
        policies[policy].ingress.filter((rule: any) => rule.ports.some((p: any) => p.port === port)).flatMap((rule: any) => rule.from);
    const only = (name: string) => [{ podSelector: { matchLabels: expect.objectContaining({ "app.kubernetes.io/name": name }) } }];

    it("let the collector reach only the distributors, on the OTLP ports", () => {
        expect(policies["allow-tempo-distributor"].podSelector.matchLabels).toEqual(RENDERED_SELECTORS.tempoDistributor);
        for (const port of [4317, 4318]) expect(peers("allow-tempo-distributor", port)).toEqual(only("opentelemetry-collector"));
        expect(peers("allow-tempo", 4317)).toEqual([]);
    });

    it("let Grafana reach only the query-frontends, on Tempo's HTTP port", () => {
        expect(policies["allow-tempo-query-frontend"].podSelector.matchLabels).toEqual(RENDERED_SELECTORS.tempoQueryFrontend);
        expect(peers("allow-tempo-query-frontend", 3200)).toEqual(only("grafana"));
        expect(peers("allow-tempo", 3200)).toEqual([{ podSelector: { matchLabels: RENDERED_SELECTORS.tempo } }]);
    });

    it("let Tempo's components call each other over HTTP and gRPC and gossip over memberlist", () => {
        expect(policies["allow-tempo"].podSelector.matchLabels).toEqual(RENDERED_SELECTORS.tempo);
        expect(policies["allow-tempo"].ingress).toEqual([
            {
                from: [{ podSelector: { matchLabels: RENDERED_SELECTORS.tempo } }],
                ports: [3200, 9095, 7946].map((port) => ({ protocol: "TCP", port })),
            },
        ]);
    });

    it("let only the metrics generator of Tempo remote-write to Prometheus", () => {
        const writers = peers("allow-prometheus", 9090).filter((p: any) => p.podSelector.matchLabels["app.kubernetes.io/name"] === "tempo");
        expect(writers).toEqual([{ podSelector: { matchLabels: RENDERED_SELECTORS.tempoMetricsGenerator } }]);
    });

    it("keep monolithic Tempo's single policy: collector and Grafana in, no component flows", () => {
        const names = stackNetworkPolicies({ tempo: RENDERED_SELECTORS.tempo, otelCollector: RENDERED_SELECTORS.otelCollector }).map(
            (p) => p.name,
        );
        expect(names).toEqual(["default-deny-ingress", "allow-tempo", "allow-otel-collector"]);
        const tempo = stackNetworkPolicies({ tempo: RENDERED_SELECTORS.tempo, otelCollector: RENDERED_SELECTORS.otelCollector }).find(
            (p) => p.name === "allow-tempo",
        )!;
        expect(networkPolicySpec(tempo).ingress).toEqual([
            {
                from: [{ podSelector: { matchLabels: RENDERED_SELECTORS.otelCollector } }],
                ports: [4317, 4318].map((port) => ({ protocol: "TCP", port })),
            },
        ]);
    });
});
