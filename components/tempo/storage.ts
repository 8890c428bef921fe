import { HelmValues } from "../helm";
import { AZURE_WORKLOAD_IDENTITY_LABEL, CREDENTIAL_KEYS, gcsKeyFile, ObjectStore } from "../objectStorage";

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
                const keyFile = gcsKeyFile(secret);
                pod.volumes.push(keyFile.volume);
                pod.volumeMounts.push(keyFile.volumeMount);
                pod.env.push(keyFile.env);
            }
            return { trace: { backend: "gcs", gcs: { bucket_name: bucket } }, pod };
        case "azure": {
            const azure = store.azure ?? { accountName: "", endpointSuffix: "blob.core.windows.net" };
            if (secret) {
                pod.envFrom.push({ secretRef: { name: secret } });
                pod.args.push(EXPAND_ENV);
            } else {
                Object.assign(pod.podLabels, AZURE_WORKLOAD_IDENTITY_LABEL);
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
