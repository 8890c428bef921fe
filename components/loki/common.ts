import { LOKI_DEFAULT_REPLICAS, LOKI_TARGETS, LokiConfig, LokiTarget } from "../../config/loki";
import { ObjectStore } from "../objectStorage";

export const LOKI_HTTP_PORT = 3100;
export const LOKI_GRPC_PORT = 9095;
export const LOKI_MEMBERLIST_PORT = 7946;
export const LOKI_PUSH_PATH = "/loki/api/v1/push";
// Every Loki pod's volume (the chart mounts it at /var/loki in every target): write-ahead log,
// TSDB index being built and cached, compactor state, and chunks on the filesystem.
export const DATA_DIR = "/var/loki";

/** Pods of each target: all zero in monolithic mode, which runs the single binary alone. */
export function lokiReplicas(settings: LokiConfig): Record<LokiTarget, number> {
    return Object.fromEntries(
        LOKI_TARGETS.map((target) => [
            target,
            settings.mode === "monolithic" ? 0 : (settings.simpleScalable[target].replicas ?? LOKI_DEFAULT_REPLICAS[target]),
        ]),
    ) as Record<LokiTarget, number>;
}

/**
 * How many write pods each stream goes to. 3 from 3 write pods on: writes need a quorum of 2, so a
 * pod can be drained or lost without losing or refusing acknowledged lines. Below 3 it is 1, since
 * with 2 copies the quorum is both, and either pod down would refuse writes.
 */
export const lokiReplicationFactor = (settings: LokiConfig): number => (lokiReplicas(settings).write >= 3 ? 3 : 1);

/** Loki's name of the store in schema_config and the compactor: MinIO speaks the S3 API. */
export const objectStoreType = (store?: ObjectStore) =>
    store === undefined ? "filesystem" : store.provider === "minio" ? "s3" : store.provider;

/** Whether the pods reach the store as a cloud workload identity (annotations on their service account). */
export const workloadIdentity = (store?: ObjectStore) => store !== undefined && Object.keys(store.serviceAccountAnnotations).length > 0;
