// Object storage: where Loki's chunks and Tempo's blocks live once one volume is not enough. Cloud
// buckets take static credentials (kept only in a Secret) or the cloud's workload identity; MinIO
// is installed in the namespace for on-prem clusters.
import YAML from "yaml";
import { isSecretEnvelope } from "../scripts/lib/secrets";
import { validateStackConfig } from "../config";
import { ConfigError } from "../config/errors";
import { minioValues, OBJECT_STORAGE_SECRET, objectStoreFor } from "../components/objectStorage";
import { exampleStackConfig, ProgramRun, release, releaseNames, runIndex, stackConfig, valuesOf } from "./helpers/run";

const SECRET_ACCESS_KEY = "wJalrXUtnFEMI-example-secret";
const settingsOf = (objectStorage: Record<string, unknown>) => {
    const { objectStorage: settings } = validateStackConfig({ objectStorage });
    return { ...settings, provider: settings.provider! };
};
const secretsOf = (run: ProgramRun) => run.resources.filter((r) => r.type === "kubernetes:core/v1:Secret");
const helmValuesText = (run: ProgramRun) =>
    YAML.stringify(run.resources.filter((r) => r.type.startsWith("kubernetes:helm")).map((r) => r.inputs.values));

describe("how Loki and Tempo reach the store", () => {
    it("reaches MinIO as an S3 API in the namespace, plain HTTP and path-style", () => {
        expect(objectStoreFor(settingsOf({ provider: "minio" }), "observability", "minio", OBJECT_STORAGE_SECRET)).toEqual({
            provider: "minio",
            buckets: { lokiChunks: "loki-chunks", lokiRuler: "loki-ruler", tempoTraces: "tempo-traces" },
            s3: { endpoint: "minio.observability.svc.cluster.local:9000", insecure: true, forcePathStyle: true, region: "us-east-1" },
            credentialsSecret: OBJECT_STORAGE_SECRET,
            serviceAccountAnnotations: {},
        });
    });

    it("reaches S3 in the configured region, with workload identity and no Secret", () => {
        const annotations = { "eks.amazonaws.com/role-arn": "arn:aws:iam::123456789012:role/observability" };
        const store = objectStoreFor(
            settingsOf({ provider: "s3", s3: { region: "eu-west-1" }, serviceAccountAnnotations: annotations }),
            "observability",
            "minio",
        );
        expect(store).toMatchObject({ provider: "s3", s3: { region: "eu-west-1", insecure: false, forcePathStyle: false } });
        expect(store.credentialsSecret).toBeUndefined();
        expect(store.serviceAccountAnnotations).toEqual(annotations);
    });

    it("reaches Azure Blob through the storage account", () => {
        const store = objectStoreFor(
            settingsOf({ provider: "azure", azure: { accountName: "gpuobs" }, credentials: { azureAccountKey: "key" } }),
            "observability",
            "minio",
            OBJECT_STORAGE_SECRET,
        );
        expect(store.azure).toEqual({ accountName: "gpuobs", endpointSuffix: "blob.core.windows.net" });
    });

    it("takes the bucket names from config", () => {
        const store = objectStoreFor(
            settingsOf({ provider: "gcs", buckets: { lokiChunks: "acme-logs" }, credentials: { gcsServiceAccountKey: "{}" } }),
            "observability",
            "minio",
        );
        expect(store.buckets).toEqual({ lokiChunks: "acme-logs", lokiRuler: "loki-ruler", tempoTraces: "tempo-traces" });
    });
});

describe("the in-cluster MinIO", () => {
    it("creates the stack's buckets and reads its root login from the stack's Secret", () => {
        const values = minioValues(settingsOf({ provider: "minio" }), "minio", OBJECT_STORAGE_SECRET, "standard");
        expect(values).toMatchObject({
            fullnameOverride: "minio",
            existingSecret: OBJECT_STORAGE_SECRET,
            mode: "standalone",
            replicas: 1,
            persistence: { enabled: true, size: "50Gi", storageClass: "standard" },
        });
        expect(values.buckets).toEqual([
            { name: "loki-chunks", policy: "none", purge: false },
            { name: "loki-ruler", policy: "none", purge: false },
            { name: "tempo-traces", policy: "none", purge: false },
        ]);
        expect(values).not.toHaveProperty("rootPassword");
    });

    it("runs distributed, erasure-coded, from four replicas, drained one pod at a time", () => {
        const values = minioValues(settingsOf({ provider: "minio", minio: { replicas: 4 } }), "minio", OBJECT_STORAGE_SECRET);
        expect(values).toMatchObject({ mode: "distributed", replicas: 4, podDisruptionBudget: { enabled: true, maxUnavailable: 1 } });
    });

    it("replaces a standalone server by stopping it first: its volume mounts on one node at a time", () => {
        const values = minioValues(settingsOf({ provider: "minio" }), "minio", OBJECT_STORAGE_SECRET);
        expect(values).toMatchObject({ deploymentUpdate: { type: "Recreate" }, podDisruptionBudget: { enabled: false } });
    });

    it("sizes the server and its bucket job", () => {
        const values: any = minioValues(
            settingsOf({ provider: "minio", minio: { resources: { requests: { cpu: "250m" } } } }),
            "minio",
            OBJECT_STORAGE_SECRET,
        );
        expect(values.resources).toEqual({ requests: { cpu: "250m", memory: "512Mi" }, limits: { cpu: "1", memory: "2Gi" } });
        for (const sizes of [values.resources, values.makeBucketJob.resources]) {
            expect(Object.keys(sizes.requests).sort()).toEqual(["cpu", "memory"]);
            expect(Object.keys(sizes.limits).sort()).toEqual(["cpu", "memory"]);
        }
    });

    describe("installed by the stack", () => {
        let run: ProgramRun;
        beforeAll(async () => {
            run = await runIndex(stackConfig({ objectStorage: { provider: "minio" } }));
        });

        it("is a release of the pinned MinIO chart in the stack's namespace", () => {
            expect(release(run, "minio").inputs).toMatchObject({
                chart: "minio",
                version: "5.4.0",
                repositoryOpts: { repo: "https://charts.min.io/" },
                namespace: "observability",
            });
        });

        it("keeps a generated root login only in a Secret, which Loki and Tempo log in with too", () => {
            const [secret] = secretsOf(run).filter((s) => s.inputs.metadata.name === OBJECT_STORAGE_SECRET);
            expect(isSecretEnvelope(secret.inputs.stringData)).toBe(true);
            const data = secret.inputs.stringData.value;
            expect(Object.keys(data).sort()).toEqual(["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "rootPassword", "rootUser"]);
            expect(data.rootPassword).toBe(data.AWS_SECRET_ACCESS_KEY);
            expect(helmValuesText(run)).not.toContain(data.rootPassword);
        });

        it("lets only Loki, Tempo, its bucket job and its own members reach it", () => {
            const policy = run.resources.find(
                (r) => r.type === "kubernetes:networking.k8s.io/v1:NetworkPolicy" && r.inputs.metadata.name === "allow-minio",
            )!;
            expect(policy.inputs.spec.podSelector).toEqual({ matchLabels: { app: "minio", release: "minio" } });
            const peers = policy.inputs.spec.ingress.flatMap((rule: any) => rule.from.map((peer: any) => peer.podSelector.matchLabels));
            expect(peers).toEqual(
                expect.arrayContaining([
                    { "app.kubernetes.io/name": "loki", "app.kubernetes.io/instance": "loki" },
                    { app: "minio-job", release: "minio" },
                    { app: "minio", release: "minio" },
                ]),
            );
            expect(policy.inputs.spec.ingress[0].ports).toEqual([{ protocol: "TCP", port: 9000 }]);
        });
    });

    it("is not installed without provider minio", async () => {
        const run = await runIndex(stackConfig({}));
        expect(releaseNames(run)).not.toContain("minio");
        expect(secretsOf(run).map((s) => s.inputs.metadata.name)).not.toContain(OBJECT_STORAGE_SECRET);
    });
});

describe("cloud credentials", () => {
    it("keep static S3 keys only in the Secret, never in Helm values", async () => {
        const run = await runIndex(
            stackConfig({
                objectStorage: {
                    provider: "s3",
                    s3: { region: "us-east-1" },
                    credentials: { accessKeyId: "AKIAEXAMPLE", secretAccessKey: SECRET_ACCESS_KEY },
                },
            }),
        );
        const [secret] = secretsOf(run).filter((s) => s.inputs.metadata.name === OBJECT_STORAGE_SECRET);
        expect(isSecretEnvelope(secret.inputs.stringData)).toBe(true);
        expect(secret.inputs.stringData.value).toEqual({ AWS_ACCESS_KEY_ID: "AKIAEXAMPLE", AWS_SECRET_ACCESS_KEY: SECRET_ACCESS_KEY });
        expect(helmValuesText(run)).not.toContain(SECRET_ACCESS_KEY);
        expect(releaseNames(run)).not.toContain("minio");
    });

    it("need no Secret where workload identity grants access", async () => {
        const run = await runIndex(
            stackConfig({
                objectStorage: {
                    provider: "gcs",
                    serviceAccountAnnotations: { "iam.gke.io/gcp-service-account": "obs@acme.iam.gserviceaccount.com" },
                },
            }),
        );
        expect(secretsOf(run).map((s) => s.inputs.metadata.name)).not.toContain(OBJECT_STORAGE_SECRET);
    });
});

describe("workload identity", () => {
    /** Every automountServiceAccountToken a release's values set, by key path. */
    const automounts = (values: unknown, at = ""): Record<string, unknown> =>
        typeof values !== "object" || values === null
            ? {}
            : Object.assign(
                  {},
                  ...Object.entries(values).map(([key, value]) =>
                      key === "automountServiceAccountToken" ? { [`${at}${key}`]: value } : automounts(value, `${at}${key}.`),
                  ),
              );
    const IRSA = { "eks.amazonaws.com/role-arn": "arn:aws:iam::123456789012:role/observability" };

    it.each([
        ["production on S3 with EKS's role annotation (Pulumi.production.yaml)", exampleStackConfig("production"), "production"],
        [
            "dev on S3 with EKS's role annotation",
            stackConfig({ objectStorage: { provider: "s3", s3: { region: "us-east-1" }, serviceAccountAnnotations: IRSA } }),
            "dev",
        ],
        [
            "dev on Azure with its client-id annotation",
            stackConfig({
                objectStorage: {
                    provider: "azure",
                    azure: { accountName: "gpuobs" },
                    serviceAccountAnnotations: { "azure.workload.identity/client-id": "00000000-0000-0000-0000-000000000000" },
                },
            }),
            "dev",
        ],
    ])(
        "%s: Loki and Tempo mount no Kubernetes API token, as the identity webhook projects its own, read through the pods' fsGroup",
        async (_stack, config, stack) => {
            const run = await runIndex(config, stack);
            expect(run.error).toBeUndefined();
            const loki = valuesOf(run, "loki");
            const tempo = valuesOf(run, "tempo");
            for (const values of [loki, tempo]) {
                const mounts = automounts(values);
                expect(Object.keys(mounts).length).toBeGreaterThan(0);
                expect([...new Set(Object.values(mounts))]).toEqual([false]);
            }
            expect(loki.serviceAccount.annotations).toEqual(expect.any(Object));
            expect(loki.loki.podSecurityContext.fsGroup).toBe(10001);
            expect((tempo.tempo.podSecurityContext ?? tempo.securityContext).fsGroup).toBe(10001);
        },
    );
});

describe("bad object storage config", () => {
    const problems = (objectStorage: Record<string, unknown>) => {
        try {
            validateStackConfig({ objectStorage });
        } catch (error) {
            expect(error).toBeInstanceOf(ConfigError);
            return (error as Error).message;
        }
        throw new Error("config was accepted");
    };

    it.each([
        [{ provider: "ceph" }, /objectStorage.provider: .*"s3".*"gcs".*"azure".*"minio"/],
        [{ provider: "s3", credentials: { accessKeyId: "a", secretAccessKey: "b" } }, /objectStorage.s3.region: is missing/],
        [{ provider: "azure", credentials: { azureAccountKey: "k" } }, /objectStorage.azure.accountName: is missing/],
        [{ provider: "s3", s3: { region: "us-east-1" } }, /objectStorage.credentials: are missing; .*serviceAccountAnnotations/],
        [
            { provider: "s3", s3: { region: "us-east-1" }, credentials: { accessKeyId: "a" } },
            /objectStorage.credentials.secretAccessKey: is missing; provider s3 needs accessKeyId and secretAccessKey/,
        ],
        [
            { provider: "gcs", credentials: { azureAccountKey: "k" } },
            /objectStorage.credentials.azureAccountKey: is not a credential of provider gcs; it takes gcsServiceAccountKey/,
        ],
        [
            { provider: "minio", credentials: { accessKeyId: "a" } },
            /objectStorage.credentials.accessKeyId: .*generates MinIO's credentials/,
        ],
        [
            { provider: "minio", buckets: { tempoTraces: "Tempo_Traces" } },
            /objectStorage.buckets.tempoTraces: "Tempo_Traces" is not a bucket name/,
        ],
        [
            { provider: "minio", minio: { replicas: 2 } },
            /objectStorage.minio.replicas: 2 is not a MinIO size; use 1 \(standalone\) or 4 to 32/,
        ],
        [
            { provider: "s3", s3: { endpoint: "https://s3.local" }, credentials: { accessKeyId: "a", secretAccessKey: "b" } },
            /without a scheme/,
        ],
    ])("refuses %j", (objectStorage, message) => {
        expect(problems(objectStorage)).toMatch(message);
    });
});
