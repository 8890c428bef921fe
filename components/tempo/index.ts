import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { CHARTS, ChartPin } from "../../config/charts";
import { TempoConfig, TempoMode } from "../../config/tempo";
import { HelmValues, releaseServiceUrl } from "../helm";
import { ObjectStorage } from "../objectStorage";
import { DEFAULT_RELEASE_NAMES } from "../releaseNames";
import { chartPods, componentType, installSubsystem, PodLabels, SubsystemArgs } from "../subsystem";
import { TEMPO_PORTS, TempoValuesInput } from "./common";
import { distributedValues, tempoDistributedPods } from "./distributed";
import { monolithicValues } from "./monolithic";

export { grpcMessageBytes, TEMPO_PORTS, type TempoValuesInput, tempoOverrides } from "./common";
export { distributedConfig, distributedValues, TEMPO_TARGETS, tempoDistributedPods } from "./distributed";
export { monolithicConfig, monolithicValues } from "./monolithic";
export { traceStorage } from "./storage";

export interface TempoArgs extends SubsystemArgs<TempoConfig> {
    /**
     * Remote-write URLs of every Prometheus replica. When set, Tempo's metrics generator turns every
     * trace into service-graph and span metrics (request rate, errors, duration per service) written
     * to each: these series come from no scrape, so a replica left out would never have them.
     */
    metricsRemoteWriteUrls?: pulumi.Input<string[]>;
    /** The object store trace blocks live in: required in distributed mode; unset, the pod's own volume. */
    objectStorage?: Pick<ObjectStorage, "store" | "ready">;
}

/** The chart each mode installs. */
export const tempoChart = (mode: TempoMode): ChartPin => (mode === "distributed" ? CHARTS.tempoDistributed : CHARTS.tempo);

/**
 * Suffixes of the Services (after the release name) that receive OTLP and answer queries: the one
 * Service of the monolithic chart, or tempo-distributed's distributor and query-frontend
 * (templates/distributor/service-distributor.yaml, query-frontend/service-query-frontend.yaml).
 */
export const TEMPO_SERVICE_SUFFIXES: Readonly<Record<TempoMode, { receiver: string; query: string }>> = {
    monolithic: { receiver: "", query: "" },
    distributed: { receiver: "-distributor", query: "-query-frontend" },
};

/** Helm values of Tempo's chart for the configured mode (pure). */
export function tempoValues(input: TempoValuesInput): HelmValues {
    return input.settings.mode === "distributed" ? distributedValues(input) : monolithicValues(input);
}

/** Labels of every pod of the release, as the chart's Services select them. */
export const tempoPods = (releaseName: string, mode: TempoMode = "monolithic"): PodLabels =>
    mode === "distributed" ? tempoDistributedPods(releaseName) : chartPods(CHARTS.tempo, releaseName);

/** The pods of distributed mode that each flow into Tempo reaches. */
export interface TempoComponentPods {
    /** Receive OTLP from the collector. */
    distributor: PodLabels;
    /** Answer Grafana's queries. */
    queryFrontend: PodLabels;
    /** Remote-write span metrics to Prometheus. */
    metricsGenerator: PodLabels;
}

/** Tempo, the trace store: receives OTLP, answers Grafana's queries, turns spans into metrics. */
export class Tempo extends pulumi.ComponentResource {
    readonly release: k8s.helm.v3.Release;
    /** Labels of all its pods, for NetworkPolicies. */
    readonly pods: PodLabels;
    /** Distributed mode: labels of the components, for NetworkPolicies that name each flow's target. */
    readonly componentPods?: TempoComponentPods;
    /** `host:port` of Tempo's OTLP gRPC receiver (no scheme, as OTLP gRPC exporters take it). */
    readonly otlpGrpcEndpoint: pulumi.Output<string>;
    /** URL of Tempo's OTLP HTTP receiver. */
    readonly otlpHttpEndpoint: pulumi.Output<string>;
    /** URL Grafana's Tempo datasource queries. */
    readonly queryUrl: pulumi.Output<string>;

    constructor(name: string, args: TempoArgs, opts?: pulumi.ComponentResourceOptions) {
        super(componentType("Tempo"), name, {}, opts);
        const { mode } = args.settings;
        if (mode === "distributed" && !args.objectStorage) {
            throw new Error(`Tempo ${name}: mode distributed keeps its blocks in object storage; pass args.objectStorage`);
        }
        const releaseName = args.releaseName ?? DEFAULT_RELEASE_NAMES.tempo;
        this.pods = tempoPods(releaseName, mode);
        if (mode === "distributed") {
            this.componentPods = {
                distributor: tempoDistributedPods(releaseName, "distributor"),
                queryFrontend: tempoDistributedPods(releaseName, "queryFrontend"),
                metricsGenerator: tempoDistributedPods(releaseName, "metricsGenerator"),
            };
        }
        this.release = installSubsystem(this, name, args, {
            chart: tempoChart(mode),
            releaseName,
            values: (input) =>
                pulumi
                    .all([args.namespace, args.metricsRemoteWriteUrls, args.objectStorage?.store])
                    .apply(([namespace, metricsRemoteWriteUrls, objectStore]) =>
                        tempoValues({ ...input, namespace, metricsRemoteWriteUrls, objectStore }),
                    ),
            // The credentials Secret and MinIO must exist before Tempo's pods mount and call them.
            dependsOn: args.objectStorage?.ready,
        });
        const services = TEMPO_SERVICE_SUFFIXES[mode];
        this.otlpGrpcEndpoint = releaseServiceUrl(this.release, TEMPO_PORTS.otlpGrpc, { suffix: services.receiver, scheme: null });
        this.otlpHttpEndpoint = releaseServiceUrl(this.release, TEMPO_PORTS.otlpHttp, { suffix: services.receiver });
        this.queryUrl = releaseServiceUrl(this.release, TEMPO_PORTS.http, { suffix: services.query });
        this.registerOutputs({
            otlpGrpcEndpoint: this.otlpGrpcEndpoint,
            otlpHttpEndpoint: this.otlpHttpEndpoint,
            queryUrl: this.queryUrl,
        });
    }
}
