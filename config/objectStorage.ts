import { z } from "zod";
import { resourcesSchema } from "./common";
import { hostname, memoryQuantity } from "./formats";

// S3 bucket names (and the GCS/Azure rules they are stricter than): 3-63 lower-case letters,
// digits, '-' and '.', starting and ending with a letter or digit.
const bucketName = z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, {
    error: (issue) => `${JSON.stringify(issue.input)} is not a bucket name; use 3 to 63 lower-case letters, digits, '-' and '.'`,
});

export const OBJECT_STORAGE_PROVIDERS = ["s3", "gcs", "azure", "minio"] as const;
export type ObjectStorageProvider = (typeof OBJECT_STORAGE_PROVIDERS)[number];

export const objectStorageConfigSchema = z
    .strictObject({
        provider: z
            .enum(OBJECT_STORAGE_PROVIDERS)
            .optional()
            .describe(
                "Where Loki's chunks and Tempo's blocks live: s3 (AWS or any S3 API), gcs, azure (Blob), or minio (installed in the stack's namespace, for on-prem). Unset: each store keeps its data on its own volume, which only one pod can use.",
            ),
        buckets: z
            .strictObject({
                lokiChunks: bucketName.default("loki-chunks").describe("Bucket (Azure: container) of Loki's chunks and index."),
                lokiRuler: bucketName.default("loki-ruler").describe("Bucket of Loki's ruler state."),
                tempoTraces: bucketName.default("tempo-traces").describe("Bucket of Tempo's trace blocks."),
            })
            .prefault({})
            .describe("Bucket names; with s3, gcs and azure they must exist already (MinIO's are created)."),
        s3: z
            .strictObject({
                region: z
                    .string()
                    .regex(/^[a-z0-9-]+$/, { error: (issue) => `${JSON.stringify(issue.input)} is not a region; use e.g. us-east-1` })
                    .optional()
                    .describe("AWS region of the buckets."),
                endpoint: z
                    .string()
                    .regex(/^[A-Za-z0-9.-]+(:\d+)?$/, {
                        error: (issue) =>
                            `${JSON.stringify(issue.input)} is not an endpoint; use host[:port] without a scheme, e.g. s3.us-east-1.amazonaws.com`,
                    })
                    .optional()
                    .describe("S3 API endpoint, host[:port] (default: AWS' regional endpoint)."),
                insecure: z.boolean().default(false).describe("Speak plain HTTP to the endpoint (an on-prem S3 without TLS)."),
                forcePathStyle: z
                    .boolean()
                    .default(false)
                    .describe("Address buckets as endpoint/bucket rather than bucket.endpoint (most on-prem S3 APIs need it)."),
            })
            .prefault({})
            .describe("S3 settings (provider s3)."),
        azure: z
            .strictObject({
                accountName: z
                    .string()
                    .regex(/^[a-z0-9]{3,24}$/, {
                        error: (issue) =>
                            `${JSON.stringify(issue.input)} is not a storage account name; use 3 to 24 lower-case letters and digits`,
                    })
                    .optional()
                    .describe("Storage account holding the containers."),
                endpointSuffix: hostname.default("blob.core.windows.net").describe("Blob endpoint suffix (sovereign clouds differ)."),
            })
            .prefault({})
            .describe("Azure Blob settings (provider azure)."),
        credentials: z
            .strictObject({
                accessKeyId: z.string().min(1).optional().describe("S3 access key id (provider s3)."),
                secretAccessKey: z
                    .string()
                    .min(1)
                    .optional()
                    .describe("S3 secret access key (provider s3): set it with `pulumi config set --secret --path`."),
                gcsServiceAccountKey: z
                    .string()
                    .min(1)
                    .optional()
                    .describe("A GCP service account's JSON key (provider gcs): set it with `pulumi config set --secret --path`."),
                azureAccountKey: z
                    .string()
                    .min(1)
                    .optional()
                    .describe("The storage account's key (provider azure): set it with `pulumi config set --secret --path`."),
            })
            .optional()
            .describe(
                "Static credentials, only ever stored in a Kubernetes Secret. Leave unset where the cloud's workload identity grants access (serviceAccountAnnotations).",
            ),
        serviceAccountAnnotations: z
            .record(z.string(), z.string())
            .default({})
            .describe(
                "Annotations of Loki's and Tempo's service accounts for workload identity, e.g. eks.amazonaws.com/role-arn, iam.gke.io/gcp-service-account or azure.workload.identity/client-id.",
            ),
        minio: z
            .strictObject({
                storageSize: memoryQuantity.default("50Gi").describe("Size of each MinIO volume."),
                replicas: z
                    .int()
                    .refine((replicas) => replicas === 1 || (replicas >= 4 && replicas <= 32), {
                        error: (issue) =>
                            `${JSON.stringify(issue.input)} is not a MinIO size; use 1 (standalone) or 4 to 32 (distributed, erasure-coded across pods)`,
                    })
                    .default(1)
                    .describe("1: one standalone MinIO. 4 or more: distributed MinIO with erasure coding across pods."),
                resources: resourcesSchema({ requests: { cpu: "100m", memory: "512Mi" }, limits: { cpu: "1", memory: "2Gi" } }),
            })
            .prefault({})
            .describe("The in-cluster MinIO (provider minio)."),
    })
    .superRefine((storage, ctx) => {
        const { provider, credentials } = storage;
        const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: "custom", path, message });
        if (provider === "s3" && !storage.s3.region && !storage.s3.endpoint) {
            issue(["s3", "region"], "is missing; provider s3 needs the buckets' region (or an endpoint for an S3-compatible store)");
        }
        if (provider === "azure" && !storage.azure.accountName) {
            issue(["azure", "accountName"], "is missing; provider azure needs the storage account holding the containers");
        }
        const expected: Record<ObjectStorageProvider, (keyof NonNullable<typeof credentials>)[]> = {
            s3: ["accessKeyId", "secretAccessKey"],
            gcs: ["gcsServiceAccountKey"],
            azure: ["azureAccountKey"],
            minio: [],
        };
        if (credentials !== undefined) {
            const allowed = provider ? expected[provider] : [];
            for (const key of Object.keys(credentials) as (keyof typeof credentials)[]) {
                if (!allowed.includes(key)) {
                    issue(
                        ["credentials", key],
                        provider === "minio"
                            ? "is set, but the stack generates MinIO's credentials itself; remove it"
                            : `is not a credential of provider ${provider ?? "(none)"}; it takes ${allowed.join(" and ") || "none"}`,
                    );
                }
            }
            for (const key of allowed) {
                if (!credentials[key]) issue(["credentials", key], `is missing; provider ${provider} needs ${allowed.join(" and ")}`);
            }
        }
        if (
            provider !== undefined &&
            provider !== "minio" &&
            credentials === undefined &&
            Object.keys(storage.serviceAccountAnnotations).length === 0
        ) {
            issue(
                ["credentials"],
                `are missing; provider ${provider} needs credentials (${expected[provider].join(", ")}) or serviceAccountAnnotations that bind the pods to a workload identity`,
            );
        }
    })
    .describe("Object storage of Loki and Tempo; required by Loki's simple-scalable and Tempo's distributed modes.");

export type ObjectStorageConfig = z.infer<typeof objectStorageConfigSchema>;
