import YAML from "yaml";
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
    /** Namespace of the release: Tempo's memberlist cluster label names it, as the charts' own label does. */
    namespace: string;
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

// Tempo's own gRPC message limit (cmd/tempo/app/config.go, both 2.10.8 and 3.0.3: 16 MiB), which
// tempo-distributed's values.yaml lowers to 4 MiB.
const TEMPO_GRPC_MESSAGE_BYTES = 16 * 2 ** 20;

/**
 * The gRPC message size of every hop a whole trace crosses when Grafana loads it by ID: a live-store
 * (Tempo 3) or ingester (Tempo 2) sends it to a querier (the server's send limit), the querier's
 * frontend worker sends it to the query-frontend (its client send limit, 16 MiB by default:
 * modules/querier/config.go) which receives it (the server's receive limit). Below the largest
 * trace the limits accept, a trace is stored but fails to load ("larger than max"), so they are
 * twice it, in whole MiB, and never below Tempo's own 16 MiB. The receiving clients' 100 MiB (dskit
 * grpcclient) stays above it: config/tempo.ts caps maxTraceSize at 50M.
 */
export function grpcMessageBytes(limits: TempoConfig["limits"]): number {
    return Math.max(TEMPO_GRPC_MESSAGE_BYTES, Math.ceil((2 * bytes(limits.maxTraceSize)) / 2 ** 20) * 2 ** 20);
}

/** Tempo's server and querier settings that carry a trace of up to `limits.maxTraceSize` over gRPC. */
export function grpcMessageLimits(limits: TempoConfig["limits"]) {
    const size = grpcMessageBytes(limits);
    return {
        server: { grpc_server_max_recv_msg_size: size, grpc_server_max_send_msg_size: size },
        frontendWorker: { grpc_client_config: { max_send_msg_size: size } },
    };
}

/** The metrics generator's remote write: exemplars carry a sample's trace id, so a latency panel links to its traces. */
/** One remote-write target per Prometheus replica: span metrics exist nowhere else, so each replica gets them all. */
export const remoteWrite = (urls: string[]) => urls.map((url) => ({ url, send_exemplars: true }));

/**
 * Tempo's config file, as the charts' `config` value. Both charts render their own from values, and
 * a Helm release cannot delete what their defaults add to it (Pulumi drops null overrides,
 * pulumi/pulumi-kubernetes#3811): chart tempo's Jaeger receivers, and the keys tempo-distributed
 * writes that Tempo 3 never reads (the backend-scheduler's retention, a `local` trace path beside
 * the bucket, `metrics_generator.storage.wal: null`). So the stack writes the whole file, and it says
 * only what is in force. The charts pass it through `tpl`, so it must hold no `{{`.
 */
export function tempoConfigFile(config: HelmValues): string {
    const text = YAML.stringify(config, { sortMapEntries: true });
    if (text.includes("{{")) throw new Error("Tempo's config holds '{{', which the chart's tpl would evaluate");
    return text;
}

/** The memberlist cluster label both charts give Tempo (`<release>.<namespace>`): gossip of two Tempos never mixes. */
export const memberlistClusterLabel = (releaseName: string, namespace: string): string => `${releaseName}.${namespace}`;

/** The OTLP receivers on their standard ports, the only protocol Tempo receives here (the collector speaks it). */
export const otlpReceivers = () => ({
    otlp: {
        protocols: {
            grpc: { endpoint: `0.0.0.0:${TEMPO_PORTS.otlpGrpc}` },
            http: { endpoint: `0.0.0.0:${TEMPO_PORTS.otlpHttp}` },
        },
    },
});
