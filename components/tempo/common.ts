import { parseQuantity } from "../../config/formats";
import { TempoConfig } from "../../config/tempo";
import { HelmValues } from "../helm";
import { ObjectStore } from "../objectStorage";
import { ValuesInput } from "../subsystem";

/** Ports every Tempo binary listens on, in both charts. */
export const TEMPO_PORTS = { otlpGrpc: 4317, otlpHttp: 4318, http: 3200, grpc: 9095, memberlist: 7946 } as const;

/** The Tempo image's own user. */
export const TEMPO_UID = 10001;

/** What Tempo's values functions take besides the common input. */
export interface TempoValuesInput extends ValuesInput<TempoConfig> {
    /** Prometheus' remote-write URL: the metrics generator writes span metrics there; none, it stays off. */
    metricsRemoteWriteUrls?: string[];
    /** The object store trace blocks go to; none, the pod's own volume (monolithic mode only). */
    objectStore?: ObjectStore;
}

/** A byte quantity of the config (`15M`) as the integer Tempo's overrides take. */
const bytes = (quantity: string): number => Math.round(parseQuantity(quantity) ?? 0);

/**
 * Tempo's overrides for every tenant, in the scoped format (the only one Tempo 3 reads without
 * `enable_legacy_overrides`, and Tempo 2's since 2.3): the ingestion limits, and the metrics
 * generator's processors when it has a Prometheus to write to.
 */
export function tempoOverrides(limits: TempoConfig["limits"], metricsGenerator: boolean): HelmValues {
    return {
        defaults: {
            ingestion: {
                // The limit is the tenant's across all distributors (each takes its share), so adding
                // distributors does not raise what Tempo accepts beyond what its stores are sized for.
                rate_strategy: "global",
                rate_limit_bytes: bytes(limits.ingestionRate),
                burst_size_bytes: bytes(limits.ingestionBurst),
                max_traces_per_user: limits.maxLiveTraces,
            },
            global: { max_bytes_per_trace: bytes(limits.maxTraceSize) },
            // Service graphs and span metrics (request rate, errors, duration per service).
            ...(metricsGenerator ? { metrics_generator: { processors: ["service-graphs", "span-metrics"] } } : {}),
        },
    };
}

/** The metrics generator's remote write: exemplars carry a sample's trace id, so a latency panel links to its traces. */
/** One remote-write target per Prometheus replica: span metrics exist nowhere else, so each replica gets them all. */
export const remoteWrite = (urls: string[]) => urls.map((url) => ({ url, send_exemplars: true }));
