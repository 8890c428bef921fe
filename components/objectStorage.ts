import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { CHARTS } from "../config/charts";
import { ObjectStorageConfig, ObjectStorageProvider } from "../config/objectStorage";
import { HelmValues, installChart } from "./helm";
import { MirrorConfig } from "../config/mirror";
import { RESTRICTED_CONTAINER, restrictedPod } from "./podSecurity";
import { MINIO_RELEASE_NAME } from "./releaseNames";
import { componentType, PodLabels } from "./subsystem";

export const MINIO_API_PORT = 9000;

/**
 * Keys of the credentials Secret. Loki and Tempo take the S3 and Azure keys as environment
 * variables (their S3 clients also read AWS_* from the environment); the GCS key is a file.
 */
export const CREDENTIAL_KEYS: Readonly<Record<keyof NonNullable<ObjectStorageConfig["credentials"]>, string>> = {
    accessKeyId: "AWS_ACCESS_KEY_ID",
    secretAccessKey: "AWS_SECRET_ACCESS_KEY",
    azureAccountKey: "AZURE_STORAGE_ACCOUNT_KEY",
    gcsServiceAccountKey: "gcs-key.json",
};
const GCS_KEY_MOUNT = "/var/secrets/object-storage";
const CREDENTIALS_VOLUME = "object-storage-credentials";

/**
 * How a pod reads the GCS key from the credentials Secret: the key file mounted, and the variable
 * Google's client libraries find it by.
 */
export function gcsKeyFile(secretName: string) {
    const key = CREDENTIAL_KEYS.gcsServiceAccountKey;
    return {
        env: { name: "GOOGLE_APPLICATION_CREDENTIALS", value: `${GCS_KEY_MOUNT}/${key}` },
        volume: { name: CREDENTIALS_VOLUME, secret: { secretName, items: [{ key, path: key }] } },
        volumeMount: { name: CREDENTIALS_VOLUME, mountPath: GCS_KEY_MOUNT, readOnly: true },
    };
}

/** Azure Workload Identity's webhook injects its federated token only into pods carrying this label. */
export const AZURE_WORKLOAD_IDENTITY_LABEL = { "azure.workload.identity/use": "true" } as const;

/**
 * Whether Loki's and Tempo's pods mount their service account's Kubernetes API token: never, with
 * workload identity too. Neither calls the Kubernetes API, and the identity webhooks project a token
 * of their own: EKS's adds its `aws-iam-token` projected volume and AWS_WEB_IDENTITY_TOKEN_FILE to
 * every container of a pod whose service account has the role annotation, whatever
 * automountServiceAccountToken says (aws/amazon-eks-pod-identity-webhook pkg/handler/handler.go,
 * getPodSpecPatch); Azure's does the same for labelled pods (Azure/azure-workload-identity
 * pkg/webhook/webhook.go, addProjectedVolume); GKE answers from its metadata server.
 * aws/amazon-eks-pod-identity-webhook#67 was a pod the webhook had not mutated ("role ARN is not
 * set"), which its maintainer called a separate issue. A non-root user reads the projected token
 * through the pod's fsGroup (the webhook's README), which Loki's and Tempo's pods set.
 */
export const MOUNT_API_TOKEN = false;

// MinIO and its client keep their configuration under the home directory, so their root
// filesystem stays writable; everything else of the restricted profile applies.
const MINIO_CONTAINER = { ...RESTRICTED_CONTAINER, readOnlyRootFilesystem: false };
// The MinIO chart reads its root login from these keys of `existingSecret`.
const MINIO_ROOT_KEYS = { user: "rootUser", password: "rootPassword" } as const;

/** What Loki and Tempo need to reach the object store: everything but the secrets themselves. */
export interface ObjectStore {
    provider: ObjectStorageProvider;
    buckets: ObjectStorageConfig["buckets"];
    /** S3 API settings: provider s3, and minio (an S3 API in the namespace). */
    s3?: { endpoint?: string; region?: string; insecure: boolean; forcePathStyle: boolean };
    azure?: { accountName: string; endpointSuffix: string };
    /** Secret in the stack's namespace holding the credentials at CREDENTIAL_KEYS; none with workload identity. */
    credentialsSecret?: string;
    /** Annotations of the consumers' service accounts (workload identity). */
    serviceAccountAnnotations: Record<string, string>;
}

export interface ObjectStorageArgs {
    namespace: pulumi.Input<string>;
    settings: ObjectStorageConfig & { provider: ObjectStorageProvider };
    storageClass?: string;
    mirror?: MirrorConfig;
    releaseName?: string;
}

/** Labels of MinIO's pods, as the chart's Service selects them (the chart predates app.kubernetes.io labels), and of its bucket job's. */
export const minioPods = (releaseName: string) => ({
    server: { app: CHARTS.minio.chart, release: releaseName } as PodLabels,
    bucketJob: { app: `${CHARTS.minio.chart}-job`, release: releaseName } as PodLabels,
});

/** The Secret the stack keeps object storage credentials in. */
export const OBJECT_STORAGE_SECRET = "object-storage-credentials";

/** How Loki and Tempo reach the store, given the settings (pure). */
export function objectStoreFor(
    settings: ObjectStorageArgs["settings"],
    namespace: string,
    releaseName: string,
    secretName?: string,
): ObjectStore {
    const common = {
        provider: settings.provider,
        buckets: settings.buckets,
        credentialsSecret: secretName,
        serviceAccountAnnotations: settings.serviceAccountAnnotations,
    };
    switch (settings.provider) {
        case "minio":
            return {
                ...common,
                s3: {
                    endpoint: `${releaseName}.${namespace}.svc.cluster.local:${MINIO_API_PORT}`,
                    insecure: true,
                    forcePathStyle: true,
                    region: "us-east-1",
                },
            };
        case "s3":
            return {
                ...common,
                s3: {
                    endpoint: settings.s3.endpoint,
                    region: settings.s3.region,
                    insecure: settings.s3.insecure,
                    forcePathStyle: settings.s3.forcePathStyle,
                },
            };
        case "azure":
            return { ...common, azure: { accountName: settings.azure.accountName ?? "", endpointSuffix: settings.azure.endpointSuffix } };
        case "gcs":
            return common;
    }
}

/** Helm values of the MinIO chart: the stack's buckets, root login from the credentials Secret. */
export function minioValues(
    settings: ObjectStorageArgs["settings"],
    releaseName: string,
    secretName: string,
    storageClass?: string,
): HelmValues {
    const { minio } = settings;
    const jobResources = { requests: { cpu: "10m", memory: "32Mi" }, limits: { cpu: "100m", memory: "128Mi" } };
    return {
        fullnameOverride: releaseName,
        mode: minio.replicas === 1 ? "standalone" : "distributed",
        replicas: minio.replicas,
        existingSecret: secretName,
        buckets: Object.values(settings.buckets).map((name) => ({ name, policy: "none", purge: false })),
        persistence: { enabled: true, size: minio.storageSize, ...(storageClass ? { storageClass } : {}) },
        // Standalone MinIO is one pod on a ReadWriteOnce volume: an update stops it before its
        // successor starts, or the new pod waits on the volume (and two servers would share a drive).
        deploymentUpdate: { type: "Recreate" },
        // Distributed MinIO keeps serving with one pod down (erasure coding); a drain takes one at a time.
        podDisruptionBudget: { enabled: minio.replicas > 1, maxUnavailable: 1 },
        resources: minio.resources,
        securityContext: { enabled: true, ...restrictedPod(1000), fsGroupChangePolicy: "OnRootMismatch" },
        containerSecurityContext: MINIO_CONTAINER,
        // The bucket job runs once after each install or upgrade (a Helm hook), as the same user.
        postJob: { securityContext: { enabled: true, ...restrictedPod(1000) } },
        makeBucketJob: {
            resources: jobResources,
            securityContext: { enabled: true },
            containerSecurityContext: MINIO_CONTAINER,
        },
        // The chart's own policy, user and service account jobs are not used: Loki and Tempo log in as root.
        policies: [],
        users: [],
        svcaccts: [],
        consoleService: { type: "ClusterIP" },
    };
}

/**
 * Where Loki and Tempo keep their data when it outgrows a volume: a cloud bucket (credentials in a
 * Secret, or none with workload identity), or MinIO installed in the namespace.
 */
export class ObjectStorage extends pulumi.ComponentResource {
    /** MinIO's release, with provider minio. */
    readonly release?: k8s.helm.v3.Release;
    /** Labels of MinIO's pods, for NetworkPolicies. */
    readonly pods?: ReturnType<typeof minioPods>;
    /** What the stores' releases must wait for: the credentials Secret and MinIO. */
    readonly ready: pulumi.Resource[] = [];
    readonly store: pulumi.Output<ObjectStore>;

    constructor(name: string, args: ObjectStorageArgs, opts?: pulumi.ComponentResourceOptions) {
        super(componentType("ObjectStorage"), name, {}, opts);
        const { settings } = args;
        const releaseName = args.releaseName ?? MINIO_RELEASE_NAME;
        const secretName = OBJECT_STORAGE_SECRET;
        let secretData: pulumi.Input<Record<string, pulumi.Input<string>>> | undefined;
        if (settings.provider === "minio") {
            const password = new random.RandomPassword(`${name}-minio`, { length: 40, special: false }, { parent: this });
            const user = "gpu-observability";
            secretData = {
                [MINIO_ROOT_KEYS.user]: user,
                [MINIO_ROOT_KEYS.password]: password.result,
                [CREDENTIAL_KEYS.accessKeyId]: user,
                [CREDENTIAL_KEYS.secretAccessKey]: password.result,
            };
        } else if (settings.credentials) {
            secretData = Object.fromEntries(
                Object.entries(settings.credentials).map(([key, value]) => [
                    CREDENTIAL_KEYS[key as keyof typeof CREDENTIAL_KEYS],
                    value as string,
                ]),
            );
        }
        const secret = secretData
            ? new k8s.core.v1.Secret(
                  `${name}-credentials`,
                  { metadata: { name: secretName, namespace: args.namespace }, type: "Opaque", stringData: pulumi.secret(secretData) },
                  { parent: this },
              )
            : undefined;
        if (secret) this.ready.push(secret);
        if (settings.provider === "minio") {
            this.pods = minioPods(releaseName);
            this.release = installChart(
                `${name}-minio`,
                {
                    chart: CHARTS.minio,
                    releaseName,
                    namespace: args.namespace,
                    values: minioValues(settings, releaseName, secretName, args.storageClass),
                    extraValues: {},
                    mirror: args.mirror,
                },
                { parent: this, dependsOn: this.ready },
            );
            this.ready.push(this.release);
        }
        this.store = pulumi
            .output(args.namespace)
            .apply((namespace) => objectStoreFor(settings, namespace, releaseName, secret ? secretName : undefined));
        this.registerOutputs({ store: this.store });
    }
}
