import YAML from "yaml";
import { LOKI_CONTAINERS, lokiPods, lokiValues } from "../components/loki";
import { objectStoreFor, OBJECT_STORAGE_SECRET } from "../components/objectStorage";
import { lokiConfigSchema, PROFILE_DEFAULTS, validateStackConfig } from "../config";
import { parseServiceAddress, releaseServing, RENDERED_SELECTORS, RENDERED_SERVICES } from "./fixtures/renderedServices";
import { devStackConfig, ProgramRun, release, runIndex, stackConfig, valuesOf } from "./helpers/run";

type Input = Record<string, unknown>;

const settings = (loki: Input = {}) => lokiConfigSchema.parse(loki);
const values = (loki: Input = {}, storageClass?: string): any =>
    lokiValues({ settings: settings(loki), storageClass, serviceMonitors: true, releaseName: "loki", namespace: "observability" });
/** The config file Loki reads: the chart's `loki.config`, which the stack writes whole. */
const lokiYaml = (values: any): any => YAML.parse(values.loki.config);

/** The store the ObjectStorage component hands Loki for this `objectStorage` config. */
function storeFor(objectStorage: Input) {
    const config = validateStackConfig({ objectStorage }).objectStorage;
    const secret = config.provider === "minio" || config.credentials ? OBJECT_STORAGE_SECRET : undefined;
    return objectStoreFor({ ...config, provider: config.provider! }, "observability", "minio", secret);
}
/** Loki's values on an object store: monolithic unless `loki` says otherwise. */
const onStore = (objectStorage: Input, loki: Input = {}): any =>
    lokiValues(
        { settings: settings(loki), storageClass: "standard", serviceMonitors: true, releaseName: "loki", namespace: "observability" },
        storeFor(objectStorage),
    );
const scalable = (loki: Input = {}, objectStorage: Input = { provider: "minio" }) =>
    onStore(objectStorage, { mode: "simple-scalable", ...loki });

const MINIO = { provider: "minio" };
const S3_KEYS = { provider: "s3", s3: { region: "eu-west-1" }, credentials: { accessKeyId: "AKIAEXAMPLE", secretAccessKey: "s3cr3t-key" } };
const S3_IRSA = {
    provider: "s3",
    s3: { region: "eu-west-1" },
    serviceAccountAnnotations: { "eks.amazonaws.com/role-arn": "arn:aws:iam::123456789012:role/logs" },
};
const GCS_KEY = { provider: "gcs", credentials: { gcsServiceAccountKey: '{"type":"service_account"}' } };
const AZURE_KEY = { provider: "azure", azure: { accountName: "gpulogs" }, credentials: { azureAccountKey: "YWNjb3VudC1rZXk=" } };
const AZURE_IDENTITY = {
    provider: "azure",
    azure: { accountName: "gpulogs" },
    serviceAccountAnnotations: { "azure.workload.identity/client-id": "00000000-0000-0000-0000-000000000000" },
};
const TARGETS = ["write", "read", "backend"] as const;
const MICROSERVICES = ["ingester", "distributor", "querier", "queryFrontend", "queryScheduler", "indexGateway", "compactor", "ruler"];

describe("Loki values (monolithic, the dev default)", () => {
    it("run Loki as one monolithic pod with every scalable target at zero", () => {
        const v = values();
        expect(v.deploymentMode).toBe("Monolithic");
        expect(v.singleBinary.replicas).toBe(1);
        for (const target of [...TARGETS, ...MICROSERVICES]) expect(v[target].replicas).toBe(0);
    });

    it("store chunks, index and write-ahead log on the filesystem of a PersistentVolumeClaim", () => {
        const v = values({ storageSize: "50Gi" }, "fast-ssd");
        expect(v.singleBinary.persistence).toEqual({ enabled: true, size: "50Gi", storageClass: "fast-ssd" });
        expect(v.loki.storage.type).toBe("filesystem");
        expect(lokiYaml(v).storage_config.filesystem.directory).toBe("/var/loki/chunks");
        expect(lokiYaml(v).ingester.wal).toMatchObject({ enabled: true, dir: "/var/loki/wal" });
    });

    it("leave the StorageClass to the cluster default when none is configured", () => {
        expect(values().singleBinary.persistence.storageClass).toBe("");
    });

    it("use a TSDB schema, which the chart also reads to validate the release", () => {
        expect(lokiYaml(values()).schema_config.configs).toEqual([
            expect.objectContaining({ store: "tsdb", object_store: "filesystem", schema: "v13" }),
        ]);
        // templates/validate.yaml refuses a release without loki.schemaConfig (or structuredConfig's).
        expect(values().loki.schemaConfig).toEqual(lokiYaml(values()).schema_config);
    });

    it("enforce the configured retention with the compactor", () => {
        const v = values({ retention: "30d" });
        expect(lokiYaml(v).limits_config.retention_period).toBe("30d");
        expect(lokiYaml(v).compactor).toMatchObject({ retention_enabled: true, delete_request_store: "filesystem" });
    });

    it("default to 7 days of retention", () => {
        expect(lokiYaml(values()).limits_config.retention_period).toBe("7d");
    });

    it("write each stream once: one pod has nobody to replicate to", () => {
        expect(lokiYaml(values()).common.replication_factor).toBe(1);
    });

    it("are single-tenant: no X-Scope-OrgID needed to push or query", () => {
        expect(lokiYaml(values()).auth_enabled).toBe(false);
    });

    it("install nothing a dev cluster does not need: no canary, tests, gateway, MinIO or memcached", () => {
        const v = values();
        for (const part of ["lokiCanary", "test", "gateway", "minio", "memcached", "chunksCache", "resultsCache"]) {
            expect(v[part].enabled).toBe(false);
        }
        expect(lokiYaml(v).chunk_store_config.chunk_cache_config.embedded_cache.max_size_mb).toBe(64);
    });

    it("size the Loki container from config", () => {
        const v = values({ resources: { requests: { cpu: "250m" } } });
        expect(v.singleBinary.resources).toEqual({ requests: { cpu: "250m", memory: "256Mi" }, limits: { cpu: "1", memory: "1Gi" } });
    });

    it("mount no service account token: Loki never calls the Kubernetes API", () => {
        const v = values();
        expect(v.defaults.automountServiceAccountToken).toBe(false);
        expect(v.serviceAccount.automountServiceAccountToken).toBe(false);
    });

    it("pin the Service names to the release name", () => {
        const logs = lokiValues({ settings: settings(), serviceMonitors: false, releaseName: "logs", namespace: "observability" });
        expect(logs.fullnameOverride).toBe("logs");
    });
});

describe("Loki on object storage (any mode, once objectStorage.provider is set)", () => {
    it("keep chunks, index and rules in the configured buckets, in monolithic mode too", () => {
        const v = onStore({ ...MINIO, buckets: { lokiChunks: "gpu-logs", lokiRuler: "gpu-rules" } });
        expect(v.deploymentMode).toBe("Monolithic");
        expect(v.loki.storage).toEqual({ type: "s3" });
        expect(lokiYaml(v).common.storage.s3.bucketnames).toBe("gpu-logs");
        expect(lokiYaml(v).ruler.storage).toMatchObject({ type: "s3", s3: { bucketnames: "gpu-rules" } });
    });

    it.each([
        ["s3", "s3", S3_KEYS],
        ["minio", "s3", MINIO],
        ["gcs", "gcs", GCS_KEY],
        ["azure", "azure", AZURE_KEY],
    ])(
        "on %s: the schema's object store, the compactor's delete requests and the chart's storage type are %s",
        (_provider, type, storage) => {
            const v = onStore(storage);
            expect(v.loki.storage.type).toBe(type);
            expect(lokiYaml(v).schema_config.configs[0].object_store).toBe(type);
            expect(lokiYaml(v).compactor.delete_request_store).toBe(type);
            expect(Object.keys(lokiYaml(v).common.storage)).toEqual([type]);
        },
    );

    it("speak S3 to the in-cluster MinIO: its Service, plain HTTP, path-style buckets", () => {
        expect(lokiYaml(onStore(MINIO)).common.storage.s3).toMatchObject({
            endpoint: "minio.observability.svc.cluster.local:9000",
            insecure: true,
            s3forcepathstyle: true,
            region: "us-east-1",
        });
    });

    it("pass an S3 store's region, endpoint, TLS and addressing style through", () => {
        const v = onStore({
            ...S3_KEYS,
            s3: { endpoint: "s3.example.internal:9000", region: "eu-west-1", insecure: true, forcePathStyle: true },
        });
        expect(lokiYaml(v).common.storage.s3).toMatchObject({
            endpoint: "s3.example.internal:9000",
            region: "eu-west-1",
            insecure: true,
            s3forcepathstyle: true,
        });
        expect(lokiYaml(onStore(S3_IRSA)).common.storage.s3).not.toHaveProperty("endpoint");
    });

    it("take S3 keys from the credentials Secret as environment variables, never into the values", () => {
        const v = onStore(S3_KEYS);
        expect(JSON.stringify(v)).not.toMatch(/AKIAEXAMPLE|s3cr3t-key/);
        expect(lokiYaml(v).common.storage.s3).toMatchObject({
            access_key_id: "${AWS_ACCESS_KEY_ID}",
            secret_access_key: "${AWS_SECRET_ACCESS_KEY}",
        });
        expect(v.defaults.extraEnv).toEqual([
            { name: "AWS_ACCESS_KEY_ID", valueFrom: { secretKeyRef: { name: OBJECT_STORAGE_SECRET, key: "AWS_ACCESS_KEY_ID" } } },
            { name: "AWS_SECRET_ACCESS_KEY", valueFrom: { secretKeyRef: { name: OBJECT_STORAGE_SECRET, key: "AWS_SECRET_ACCESS_KEY" } } },
        ]);
    });

    it("give the credentials to every Loki pod: the chart's `defaults`, which the single binary and each target read", () => {
        for (const v of [onStore(S3_KEYS), scalable({}, S3_KEYS)]) {
            expect(v.defaults.extraEnv).toHaveLength(2);
            for (const workload of ["singleBinary", ...TARGETS]) expect(v[workload].extraEnv).toBeUndefined();
        }
    });

    it("mount a GCS key file from the Secret and point GOOGLE_APPLICATION_CREDENTIALS at it", () => {
        const v = onStore(GCS_KEY);
        expect(v.defaults.extraVolumes).toEqual([
            {
                name: "object-storage-credentials",
                secret: { secretName: OBJECT_STORAGE_SECRET, items: [{ key: "gcs-key.json", path: "gcs-key.json" }] },
            },
        ]);
        expect(v.defaults.extraVolumeMounts).toEqual([
            { name: "object-storage-credentials", mountPath: "/var/secrets/object-storage", readOnly: true },
        ]);
        expect(v.defaults.extraEnv).toEqual([
            { name: "GOOGLE_APPLICATION_CREDENTIALS", value: "/var/secrets/object-storage/gcs-key.json" },
        ]);
        expect(JSON.stringify(v)).not.toMatch(/service_account/);
    });

    it("reach Azure Blob with the account key from the Secret, or with workload identity's federated token", () => {
        const key = onStore(AZURE_KEY);
        expect(lokiYaml(key).common.storage.azure).toEqual({
            account_name: "gpulogs",
            container_name: "loki-chunks",
            endpoint_suffix: "blob.core.windows.net",
            account_key: "${AZURE_STORAGE_ACCOUNT_KEY}",
        });
        expect(key.defaults.extraEnv[0].valueFrom.secretKeyRef).toEqual({ name: OBJECT_STORAGE_SECRET, key: "AZURE_STORAGE_ACCOUNT_KEY" });
        expect(lokiYaml(onStore(AZURE_IDENTITY)).common.storage.azure).toEqual({
            account_name: "gpulogs",
            container_name: "loki-chunks",
            endpoint_suffix: "blob.core.windows.net",
            use_federated_token: true,
        });
    });

    it("with workload identity: annotate the service account every Loki pod runs as, and leave the webhook's token to the webhook", () => {
        for (const v of [onStore(S3_IRSA), scalable({}, S3_IRSA)]) {
            expect(v.serviceAccount).toEqual({
                automountServiceAccountToken: false,
                annotations: { "eks.amazonaws.com/role-arn": "arn:aws:iam::123456789012:role/logs" },
            });
            expect(v.defaults.automountServiceAccountToken).toBe(false);
            expect(v.defaults.extraEnv).toBeUndefined();
            expect(lokiYaml(v).common.storage.s3).not.toHaveProperty("access_key_id");
        }
    });

    it("label pods for Azure's workload identity webhook, which only mutates pods that ask", () => {
        expect(onStore(AZURE_IDENTITY).defaults.podLabels).toEqual({ "azure.workload.identity/use": "true" });
        expect(onStore(S3_IRSA).defaults.podLabels).toBeUndefined();
        expect(onStore(AZURE_KEY).defaults.podLabels).toBeUndefined();
    });

    it("mount no Kubernetes API token, with or without workload identity, the backend target included (its chart default mounts one)", () => {
        for (const v of [scalable({}, S3_KEYS), scalable({}, S3_IRSA)]) {
            expect(v.defaults.automountServiceAccountToken).toBe(false);
            expect(v.backend.automountServiceAccountToken).toBe(false);
        }
    });
});

describe("Loki's config file", () => {
    const devConfig = () => lokiYaml(values());
    const ssdConfig = () => lokiYaml(scalable({}, S3_IRSA));

    it("is written whole by the stack, with no template for the chart's tpl to evaluate", () => {
        for (const v of [values(), onStore(S3_KEYS), scalable({}, AZURE_IDENTITY)]) {
            expect(typeof v.loki.config).toBe("string");
            expect(v.loki.config).not.toContain("{{");
        }
        // Beside the file the chart reads only the storage type and the schema.
        expect(Object.keys(values().loki).sort()).toEqual([
            "config",
            "containerSecurityContext",
            "podSecurityContext",
            "schemaConfig",
            "storage",
        ]);
    });

    it("names the chart's own Services: the gossip ring, and the compactor in the single binary or the backend targets", () => {
        expect(devConfig().memberlist.join_members).toEqual(["loki-memberlist.observability.svc.cluster.local"]);
        expect(devConfig().common.compactor_grpc_address).toBe("loki.observability.svc.cluster.local:9095");
        expect(ssdConfig().common.compactor_grpc_address).toBe("loki-backend.observability.svc.cluster.local:9095");
        expect(ssdConfig().storage_config.tsdb_shipper.index_gateway_client).toEqual({
            server_address: "dns+loki-backend-headless.observability.svc.cluster.local:9095",
        });
        expect(RENDERED_SERVICES.loki["loki-memberlist"]).toContain(7946);
        for (const service of ["loki", "loki-backend", "loki-backend-headless"]) expect(RENDERED_SERVICES.loki[service]).toContain(9095);
        expect(devConfig().storage_config.tsdb_shipper).not.toHaveProperty("index_gateway_client");
    });

    it("has no boltdb-shipper section: every schema period indexes with TSDB", () => {
        for (const config of [devConfig(), ssdConfig()]) {
            expect(config.schema_config.configs.map((period: any) => period.store)).toEqual(["tsdb"]);
            expect(config.storage_config).not.toHaveProperty("boltdb_shipper");
        }
    });

    it("has no bloom gateway, planner or shipper settings: blooms are off, so Loki builds no bloom store", () => {
        // pkg/loki/modules.go initBloomStore: nothing without bloom_gateway or bloom_build enabled.
        for (const config of [devConfig(), ssdConfig()]) {
            expect(config).not.toHaveProperty("bloom_build");
            expect(config).not.toHaveProperty("bloom_gateway");
            expect(config.storage_config).not.toHaveProperty("bloom_shipper");
        }
    });

    it("runs no ruler on the volume: nothing can put a rule into a local rules directory, so Loki starts none", () => {
        // Without common.storage or ruler.storage the ruler has no store (pkg/loki/config_wrapper.go
        // applyStorageConfig), and pkg/loki/modules.go initRulerStorage starts no ruler.
        const config = devConfig();
        expect(config).not.toHaveProperty("ruler");
        expect(config.common).not.toHaveProperty("storage");
        expect(config.storage_config.filesystem).toEqual({ directory: "/var/loki/chunks" });
        expect(lokiYaml(values({ tenant: "gpu" }))).not.toHaveProperty("ruler");
    });

    it("keeps the ruler on an object store, in its own bucket, in either mode", () => {
        for (const v of [onStore(S3_IRSA), scalable({}, S3_IRSA)]) {
            expect(lokiYaml(v).ruler.storage).toEqual({ type: "s3", s3: expect.objectContaining({ bucketnames: "loki-ruler" }) });
            expect(lokiYaml(v).common.storage.s3.bucketnames).toBe("loki-chunks");
        }
    });

    it("hedges requests to an object store only: the filesystem client takes no hedging", () => {
        // pkg/storage/factory.go: only the object store clients are built with cfg.Hedging.
        expect(devConfig().storage_config).not.toHaveProperty("hedging");
        expect(ssdConfig().storage_config.hedging).toEqual({ at: "250ms", max_per_second: 20, up_to: 3 });
    });
});

describe("Loki in simple-scalable mode (the production default)", () => {
    it("run write, read and backend targets, with the single binary and the microservices at zero", () => {
        const v = scalable();
        expect(v.deploymentMode).toBe("SimpleScalable");
        expect(v.singleBinary.replicas).toBe(0);
        for (const target of MICROSERVICES) expect(v[target].replicas).toBe(0);
        expect({ write: v.write.replicas, read: v.read.replicas, backend: v.backend.replicas }).toEqual({ write: 3, read: 2, backend: 2 });
    });

    it("take each target's replicas from config", () => {
        const v = scalable({ simpleScalable: { write: { replicas: 5 }, read: { replicas: 4 }, backend: { replicas: 3 } } });
        expect({ write: v.write.replicas, read: v.read.replicas, backend: v.backend.replicas }).toEqual({ write: 5, read: 4, backend: 3 });
    });

    it.each([
        [1, 1],
        [2, 1],
        [3, 3],
        [6, 3],
    ])("with %d write pods, write each stream to %d of them (never more copies than write pods)", (writes, factor) => {
        const v = scalable({ simpleScalable: { write: { replicas: writes } } });
        expect(lokiYaml(v).common.replication_factor).toBe(factor);
        expect(v.write.replicas).toBeGreaterThanOrEqual(lokiYaml(v).common.replication_factor);
    });

    it("size every target's container from config, requests and limits", () => {
        const v = scalable({ simpleScalable: { read: { resources: { limits: { memory: "3Gi" } } } } });
        expect(v.read.resources).toEqual({ requests: { cpu: "100m", memory: "256Mi" }, limits: { cpu: "1", memory: "3Gi" } });
        for (const target of TARGETS) {
            expect(v[target].resources).toEqual({
                requests: { cpu: expect.any(String), memory: expect.any(String) },
                limits: { cpu: expect.any(String), memory: expect.any(String) },
            });
        }
    });

    it("give each write pod (write-ahead log) and backend pod (compactor, ruler) a volume; read pods keep only caches", () => {
        const v = scalable({ storageSize: "30Gi" });
        expect(v.write.persistence).toEqual({ volumeClaimsEnabled: true, size: "30Gi", storageClass: "standard" });
        expect(v.backend.persistence).toEqual({ enabled: true, size: "30Gi", storageClass: "standard" });
        expect(v.read.persistence).toBeUndefined();
    });

    it("spread each target's pods over zones and nodes, preferring rather than requiring separate nodes", () => {
        const v = scalable();
        const selectors = {
            write: RENDERED_SELECTORS.lokiWrite,
            read: RENDERED_SELECTORS.lokiRead,
            backend: RENDERED_SELECTORS.lokiBackend,
        };
        for (const target of TARGETS) {
            const anti = v[target].affinity.podAntiAffinity;
            // The chart's default is a required term per node: it must be cleared, not merged with ours.
            expect(anti.requiredDuringSchedulingIgnoredDuringExecution).toEqual([]);
            expect(anti.preferredDuringSchedulingIgnoredDuringExecution[0].podAffinityTerm).toEqual({
                topologyKey: "kubernetes.io/hostname",
                labelSelector: { matchLabels: selectors[target] },
            });
            expect(
                v[target].topologySpreadConstraints.map((c: any) => [c.topologyKey, c.whenUnsatisfiable, c.labelSelector.matchLabels]),
            ).toEqual([
                ["topology.kubernetes.io/zone", "ScheduleAnyway", selectors[target]],
                ["kubernetes.io/hostname", "ScheduleAnyway", selectors[target]],
            ]);
        }
    });

    it("let a drain take one pod of a target at a time, and put no budget on a lone pod (it would block the drain)", () => {
        const v = scalable({ simpleScalable: { backend: { replicas: 1 } } });
        expect(v.write.podDisruptionBudget).toEqual({ enabled: true, maxUnavailable: 1 });
        expect(v.read.podDisruptionBudget).toEqual({ enabled: true, maxUnavailable: 1 });
        expect(v.backend.podDisruptionBudget).toEqual({ enabled: false });
    });

    it("keep memcached off and the in-process caches capped", () => {
        const v = scalable();
        for (const part of ["memcached", "chunksCache", "resultsCache", "gateway"]) expect(v[part].enabled).toBe(false);
        expect(lokiYaml(v).query_range.results_cache.cache.embedded_cache.max_size_mb).toBe(64);
    });

    it("name the containers after their targets, for log queries over Loki's own pods", () => {
        expect(LOKI_CONTAINERS["simple-scalable"]).toEqual(["write", "read", "backend"]);
        expect(LOKI_CONTAINERS.monolithic).toEqual(["loki"]);
    });

    it("refuse to render without an object store, which the targets share", () => {
        expect(() => values({ mode: "simple-scalable" })).toThrow(/simple-scalable keeps chunks in object storage/);
    });
});

describe("Loki ingestion limits", () => {
    it("are Loki's own defaults in dev, written as limits_config keys beside the chart's query limits", () => {
        expect(lokiYaml(values()).limits_config).toEqual({
            retention_period: "7d",
            ingestion_rate_mb: 4,
            ingestion_burst_size_mb: 6,
            per_stream_rate_limit: "3MB",
            per_stream_rate_limit_burst: "15MB",
            max_global_streams_per_user: 5000,
            query_timeout: "300s",
            split_queries_by_interval: "15m",
        });
    });

    it("take every limit from config", () => {
        const v = values({
            limits: { ingestionRate: "10Mi", ingestionBurst: "20Mi", perStreamRate: "1500k", perStreamBurst: "8Mi", maxStreams: 12000 },
        });
        expect(lokiYaml(v).limits_config).toMatchObject({
            ingestion_rate_mb: 10,
            ingestion_burst_size_mb: 20,
            // Not a whole MiB (Loki's MB): written in bytes.
            per_stream_rate_limit: "1500000B",
            per_stream_rate_limit_burst: "8MB",
            max_global_streams_per_user: 12000,
        });
    });
});

describe("the production profile's Loki", () => {
    // The profile's Loki input, validated as the stack validates it (other subsystems' production rules aside).
    const production = lokiConfigSchema.parse(PROFILE_DEFAULTS.production.loki);

    it("is simple-scalable, keeps a month of logs, and raises the ingestion limits for a fleet", () => {
        expect(production.mode).toBe("simple-scalable");
        expect(production.retention).toBe("30d");
        expect(production.limits).toEqual({
            ingestionRate: "16Mi",
            ingestionBurst: "32Mi",
            perStreamRate: "5Mi",
            perStreamBurst: "20Mi",
            maxStreams: 25000,
        });
    });

    it("sizes every target above the dev defaults, requests and limits", () => {
        const dev = settings().simpleScalable;
        expect(production.simpleScalable.write.resources).toEqual({
            requests: { cpu: "500m", memory: "2Gi" },
            limits: { cpu: "2", memory: "4Gi" },
        });
        for (const target of TARGETS) {
            expect(production.simpleScalable[target].resources).not.toEqual(dev[target].resources);
        }
    });

    it("leaves replicas to the mode, so production with loki.mode: monolithic stays valid", () => {
        const monolithic = lokiConfigSchema.parse({ ...PROFILE_DEFAULTS.production.loki, mode: "monolithic" });
        expect(monolithic.mode).toBe("monolithic");
        expect(TARGETS.map((target) => monolithic.simpleScalable[target].replicas)).toEqual([undefined, undefined, undefined]);
    });
});

describe("bad Loki config", () => {
    it.each<[string, Input, string, RegExp]>([
        [
            "simple-scalable without object storage",
            { loki: { mode: "simple-scalable" } },
            "loki.mode",
            /is simple-scalable, but that mode keeps chunks in object storage; set objectStorage.provider \(s3, gcs, azure or minio\) or use loki.mode: monolithic/,
        ],
        [
            "the production profile without object storage",
            { profile: "production", tempo: { mode: "monolithic" } },
            "loki.mode",
            /set objectStorage.provider/,
        ],
        [
            "replicas in monolithic mode",
            { loki: { simpleScalable: { write: { replicas: 3 } } } },
            "loki.simpleScalable.write.replicas",
            /is set, but loki.mode is monolithic, which runs Loki as one pod; remove it, or set loki.mode: simple-scalable/,
        ],
        [
            "no write pod",
            { loki: { mode: "simple-scalable", simpleScalable: { write: { replicas: 0 } } }, objectStorage: MINIO },
            "loki.simpleScalable.write.replicas",
            /the minimum is 1/,
        ],
        [
            "an ingestion burst below the rate",
            { loki: { limits: { ingestionRate: "8Mi", ingestionBurst: "4Mi" } } },
            "loki.limits.ingestionBurst",
            /4Mi is less than ingestionRate 8Mi; the burst must be at least the rate/,
        ],
        [
            "a stream burst below its rate",
            { loki: { limits: { perStreamRate: "20Mi" } } },
            "loki.limits.perStreamBurst",
            /15Mi is less than perStreamRate 20Mi/,
        ],
        ["a stream limit that is not a count", { loki: { limits: { maxStreams: 1.5 } } }, "loki.limits.maxStreams", /int/],
        [
            "a rate that is not a quantity",
            { loki: { limits: { ingestionRate: "4 MB" } } },
            "loki.limits.ingestionRate",
            /not a positive Kubernetes quantity/,
        ],
    ])("refuses %s, naming the key", (_what, config, key, message) => {
        expect(() => validateStackConfig(config)).toThrow(new RegExp(`- ${key.replace(/\./g, "\\.")}: .*${message.source}`));
    });

    it("does not ask for object storage when Loki is not installed", () => {
        expect(() => validateStackConfig({ loki: { enabled: false, mode: "simple-scalable" }, logs: { enabled: false } })).not.toThrow();
    });
});

describe("the Loki release", () => {
    let run: ProgramRun;
    beforeAll(async () => {
        run = await runIndex(devStackConfig());
    });

    it("exports its push URL and query URL from the release", () => {
        expect(run.outputs.lokiPushUrl).toBe("http://loki.observability.svc.cluster.local:3100/loki/api/v1/push");
        expect(run.outputs.lokiQueryUrl).toBe("http://loki.observability.svc.cluster.local:3100");
    });

    it("deep-merges extraValues last, replacing lists", async () => {
        const custom = await runIndex(
            stackConfig({
                loki: {
                    extraValues: { singleBinary: { replicas: 1, nodeSelector: { disk: "ssd" } }, loki: { schemaConfig: { configs: [] } } },
                },
            }),
        );
        const v = valuesOf(custom, "loki");
        expect(v.singleBinary.nodeSelector).toEqual({ disk: "ssd" });
        expect(v.singleBinary.persistence.size).toBe("10Gi");
        expect(v.loki.schemaConfig.configs).toEqual([]);
        expect(lokiYaml(v).auth_enabled).toBe(false);
    });
});

describe("the Loki release in simple-scalable mode", () => {
    let run: ProgramRun;
    const policy = (name: string): any =>
        run.resources.find((r) => r.type === "kubernetes:networking.k8s.io/v1:NetworkPolicy" && r.inputs.metadata.name === name)?.inputs;
    const selects = (matchLabels: Record<string, string>, pods: Record<string, string>) =>
        Object.entries(matchLabels).every(([key, value]) => pods[key] === value);
    beforeAll(async () => {
        run = await runIndex(stackConfig({ loki: { mode: "simple-scalable" }, objectStorage: MINIO }));
    });

    it("pushes to the write target's Service and queries the read target's, as the chart renders them", () => {
        expect(run.outputs.lokiPushUrl).toBe("http://loki-write.observability.svc.cluster.local:3100/loki/api/v1/push");
        expect(run.outputs.lokiQueryUrl).toBe("http://loki-read.observability.svc.cluster.local:3100");
        for (const url of [run.outputs.lokiPushUrl, run.outputs.lokiQueryUrl] as string[]) {
            expect(releaseServing(url)).toBe("loki");
            expect(RENDERED_SERVICES.loki[parseServiceAddress(url).service]).toContain(3100);
        }
    });

    it("hands those URLs to the log shipper and to Grafana's datasource", () => {
        expect(valuesOf(run, "promtail").config.clients[0].url).toBe(run.outputs.lokiPushUrl);
        const datasources = valuesOf(run, "grafana").datasources["datasources.yaml"].datasources;
        expect(datasources.find((d: any) => d.type === "loki").url).toBe(run.outputs.lokiQueryUrl);
    });

    it("waits for the object store: the credentials Secret and MinIO", () => {
        const dependencies = release(run, "loki").dependencies;
        expect(dependencies).toContain(release(run, "minio").urn);
        const secret = run.resources.find(
            (r) => r.type === "kubernetes:core/v1:Secret" && r.inputs.metadata?.name === OBJECT_STORAGE_SECRET,
        );
        expect(dependencies).toContain(secret!.urn);
    });

    it("lets only the log shipper reach the write target, and only Grafana the read target", () => {
        const write = policy("allow-loki-write");
        const read = policy("allow-loki-read");
        expect(write.spec.podSelector.matchLabels).toEqual(RENDERED_SELECTORS.lokiWrite);
        expect(write.spec.ingress).toEqual([
            { from: [{ podSelector: { matchLabels: RENDERED_SELECTORS.promtail } }], ports: [{ protocol: "TCP", port: 3100 }] },
        ]);
        expect(read.spec.podSelector.matchLabels).toEqual(RENDERED_SELECTORS.lokiRead);
        expect(read.spec.ingress).toEqual([
            { from: [{ podSelector: { matchLabels: RENDERED_SELECTORS.grafana } }], ports: [{ protocol: "TCP", port: 3100 }] },
        ]);
    });

    it("lets every Loki pod reach every other over HTTP, gRPC and memberlist, and nobody else through that policy", () => {
        const members = policy("allow-loki");
        expect(members.spec.ingress).toEqual([
            {
                from: [{ podSelector: { matchLabels: lokiPods("loki") } }],
                ports: [3100, 9095, 7946].map((port) => ({ protocol: "TCP", port })),
            },
        ]);
        for (const target of [RENDERED_SELECTORS.lokiWrite, RENDERED_SELECTORS.lokiRead, RENDERED_SELECTORS.lokiBackend]) {
            expect(selects(members.spec.podSelector.matchLabels, target)).toBe(true);
            expect(selects(lokiPods("loki"), target)).toBe(true);
        }
    });

    it("keeps its data out of the monolithic volume: no single binary, every target replicated", () => {
        const v = valuesOf(run, "loki");
        expect(v.singleBinary.replicas).toBe(0);
        expect(v.loki.storage.type).toBe("s3");
        expect([v.write.replicas, v.read.replicas, v.backend.replicas]).toEqual([3, 2, 2]);
    });
});
