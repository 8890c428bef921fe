import { HelmValues } from "../helm";
import { CREDENTIAL_KEYS, GCS_KEY_MOUNT, GCS_KEY_PATH, ObjectStore } from "../objectStorage";

/** What Tempo's pods need to reach the object store; secrets only ever come from the credentials Secret. */
export interface StoragePodWiring {
    env: Record<string, unknown>[];
    envFrom: Record<string, unknown>[];
    volumes: Record<string, unknown>[];
    volumeMounts: Record<string, unknown>[];
    /** Extra flags of the tempo binary. */
    args: string[];
    podLabels: Record<string, string>;
    serviceAccountAnnotations: Record<string, string>;
}

export interface TraceStorage {
    /** Tempo's `storage.trace` backend section: `backend` and its block (`s3`, `gcs` or `azure`). */
    trace: HelmValues;
    pod: StoragePodWiring;
}

const CREDENTIALS_VOLUME = "object-storage-credentials";
// Tempo substitutes ${VAR} in its config file from the environment only with this flag.
const EXPAND_ENV = "-config.expand-env=true";

/**
 * Tempo's trace backend for the stack's object store, and how its pods get the credentials: S3
 * (and MinIO, an S3 API) from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY in the environment, which
 * Tempo's S3 client reads first; Azure's key expanded into the config from the environment; the
 * GCS key as a mounted file. Without a Secret, workload identity (service account annotations).
 */
export function traceStorage(store: ObjectStore): TraceStorage {
    const secret = store.credentialsSecret;
    const pod: StoragePodWiring = {
        env: [],
        envFrom: [],
        volumes: [],
        volumeMounts: [],
        args: [],
        podLabels: {},
        serviceAccountAnnotations: store.serviceAccountAnnotations,
    };
    const bucket = store.buckets.tempoTraces;
    switch (store.provider) {
        case "s3":
        case "minio": {
            const s3 = store.s3 ?? { insecure: false, forcePathStyle: false };
            if (secret) pod.envFrom.push({ secretRef: { name: secret } });
            return {
                trace: {
                    backend: "s3",
                    s3: {
                        bucket,
                        // Tempo's S3 client needs an endpoint; AWS' regional one unless another is given.
                        endpoint: s3.endpoint ?? `s3.${s3.region}.amazonaws.com`,
                        ...(s3.region ? { region: s3.region } : {}),
                        insecure: s3.insecure,
                        forcepathstyle: s3.forcePathStyle,
                    },
                },
                pod,
            };
        }
        case "gcs":
            if (secret) {
                pod.volumes.push({
                    name: CREDENTIALS_VOLUME,
                    secret: {
                        secretName: secret,
                        items: [{ key: CREDENTIAL_KEYS.gcsServiceAccountKey, path: CREDENTIAL_KEYS.gcsServiceAccountKey }],
                    },
                });
                pod.volumeMounts.push({ name: CREDENTIALS_VOLUME, mountPath: GCS_KEY_MOUNT, readOnly: true });
                pod.env.push({ name: "GOOGLE_APPLICATION_CREDENTIALS", value: GCS_KEY_PATH });
            }
            return { trace: { backend: "gcs", gcs: { bucket_name: bucket } }, pod };
        case "azure": {
            const azure = store.azure ?? { accountName: "", endpointSuffix: "blob.core.windows.net" };
            if (secret) {
                pod.envFrom.push({ secretRef: { name: secret } });
                pod.args.push(EXPAND_ENV);
            } else {
                // Azure Workload Identity injects its federated token only into pods carrying this label.
                pod.podLabels["azure.workload.identity/use"] = "true";
            }
            return {
                trace: {
                    backend: "azure",
                    azure: {
                        container_name: bucket,
                        storage_account_name: azure.accountName,
                        endpoint_suffix: azure.endpointSuffix,
                        ...(secret ? { storage_account_key: `\${${CREDENTIAL_KEYS.azureAccountKey}}` } : { use_federated_token: true }),
                    },
                },
                pod,
            };
        }
    }
}
