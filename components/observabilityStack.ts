import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { StackConfig, StackConfigInput } from "../config/schema";
import { validateStackConfig } from "../config/validate";
import { Alloy } from "./alloy";
import { Dashboards, stackDashboards } from "./dashboards";
import { Alerting } from "./alerting";
import { DcgmExporter } from "./dcgmExporter";
import { Grafana } from "./grafana";
import { Loki } from "./loki";
import { NetworkPolicies } from "./networkPolicies";
import { ObjectStorage } from "./objectStorage";
import { OtelCollector } from "./otelCollector";
import { Prometheus } from "./prometheus";
import { Promtail } from "./promtail";
import { podSecurityLevel } from "./podSecurity";
import { componentType } from "./subsystem";
import { Tempo } from "./tempo";

/** The stack config's shape: every key optional, the same defaults and validation as `gpu-observability:*`. */
export type ObservabilityStackArgs = StackConfigInput;

/**
 * The whole observability stack in one namespace: every enabled subsystem, wired through each
 * other's outputs. Invalid args throw one ConfigError naming every problem, before any resource
 * (this one included) is registered.
 */
export class ObservabilityStack extends pulumi.ComponentResource {
    readonly config: StackConfig;
    readonly namespace: pulumi.Output<string>;
    readonly prometheus?: Prometheus;
    readonly loki?: Loki;
    readonly tempo?: Tempo;
    readonly dcgmExporter?: DcgmExporter;
    readonly promtail?: Promtail;
    readonly alloy?: Alloy;
    readonly otelCollector?: OtelCollector;
    readonly grafana?: Grafana;
    readonly alerting?: Alerting;
    readonly dashboards?: Dashboards;
    readonly networkPolicies?: NetworkPolicies;
    readonly objectStorage?: ObjectStorage;

    constructor(name: string, args: ObservabilityStackArgs = {}, opts?: pulumi.ComponentResourceOptions) {
        const config = validateStackConfig(args);
        super(componentType("ObservabilityStack"), name, {}, opts);
        this.config = config;
        const level = podSecurityLevel({
            prometheus: config.prometheus.enabled,
            // The GPU Operator's exporter runs in the operator's namespace, under its rules.
            dcgmExporter: config.dcgmExporter.enabled && config.dcgmExporter.mode === "install",
            logs: config.logs.enabled,
        });
        const namespace = new k8s.core.v1.Namespace(
            name,
            {
                metadata: {
                    name: config.namespace,
                    // Enforce the level the installed exceptions need; audit and warn against the
                    // restricted profile so anything else that relaxes it shows up.
                    labels: {
                        "pod-security.kubernetes.io/enforce": level,
                        "pod-security.kubernetes.io/audit": "restricted",
                        "pod-security.kubernetes.io/warn": "restricted",
                    },
                },
            },
            { parent: this },
        );
        this.namespace = namespace.metadata.name;

        const common = { namespace: this.namespace, storageClass: config.storageClass, mirror: config.mirror };
        const child = (subsystem: string) => `${name}-${subsystem}`;
        const { provider } = config.objectStorage;
        if (provider !== undefined && (config.loki.enabled || config.tempo.enabled)) {
            this.objectStorage = new ObjectStorage(
                child("object-storage"),
                { ...common, settings: { ...config.objectStorage, provider } },
                { parent: this },
            );
        }

        if (config.prometheus.enabled) {
            this.prometheus = new Prometheus(child("prometheus"), { ...common, settings: config.prometheus }, { parent: this });
        }
        // Monitors and rules need prometheus-operator's CRDs, which the Prometheus release installs.
        const monitored = { ...common, monitoringCrds: this.prometheus?.release };
        const asChild = { parent: this };
        if (config.loki.enabled) {
            this.loki = new Loki(child("loki"), { ...monitored, settings: config.loki, objectStorage: this.objectStorage }, asChild);
        }
        if (config.tempo.enabled) {
            this.tempo = new Tempo(
                child("tempo"),
                {
                    ...monitored,
                    settings: config.tempo,
                    metricsRemoteWriteUrls: this.prometheus?.remoteWriteUrls,
                    objectStorage: this.objectStorage,
                },
                asChild,
            );
        }
        if (config.dcgmExporter.enabled) {
            this.dcgmExporter = new DcgmExporter(child("dcgm-exporter"), { ...monitored, settings: config.dcgmExporter }, asChild);
        }
        if (config.logs.enabled && this.loki) {
            const shipper = { ...monitored, settings: config.logs, lokiPushUrl: this.loki.pushUrl, lokiTenant: config.loki.tenant };
            if (config.logs.shipper === "alloy") this.alloy = new Alloy(child("logs"), shipper, asChild);
            else this.promtail = new Promtail(child("logs"), shipper, asChild);
        }
        if (config.otelCollector.enabled && this.tempo) {
            this.otelCollector = new OtelCollector(
                child("otel-collector"),
                { ...monitored, settings: config.otelCollector, tracesEndpoint: this.tempo.otlpGrpcEndpoint },
                asChild,
            );
        }
        if (config.grafana.enabled) {
            this.grafana = new Grafana(
                child("grafana"),
                {
                    ...monitored,
                    settings: config.grafana,
                    lokiTenant: config.loki.tenant,
                    datasources: {
                        prometheus: this.prometheus?.prometheusUrl,
                        alertmanager: this.prometheus?.alertmanagerUrl,
                        loki: this.loki?.queryUrl,
                        tempo: this.tempo?.queryUrl,
                    },
                },
                asChild,
            );
        }
        // The telemetry pipeline's hops that are installed: their dashboards rows and loss alerts.
        const pipeline = {
            promtail: this.promtail !== undefined,
            alloy: this.alloy !== undefined,
            otelCollector: this.otelCollector !== undefined,
            loki: this.loki !== undefined,
            tempo: this.tempo !== undefined,
        };
        if (this.grafana) {
            // Each dashboard only where what it shows is installed; Grafana's sidecar loads them.
            this.dashboards = new Dashboards(
                child("dashboards"),
                {
                    namespace: this.namespace,
                    dashboards: stackDashboards({
                        gpu: this.dcgmExporter !== undefined && this.prometheus !== undefined,
                        // Span metrics exist only where Tempo's metrics generator has a Prometheus to write to.
                        spanMetrics: this.tempo !== undefined && this.prometheus !== undefined,
                        pipeline: {
                            ...pipeline,
                            namespace: config.namespace,
                            metrics: this.prometheus !== undefined,
                            // The modes name Loki's and Tempo's containers, whose error lines the dashboard shows.
                            modes: { loki: config.loki.mode, tempo: config.tempo.mode },
                        },
                    }),
                },
                asChild,
            );
        }
        if (this.prometheus) {
            // The stack's alert rules and Alertmanager's configuration (receivers' credentials
            // stay in its Secret).
            this.alerting = new Alerting(
                child("alerting"),
                {
                    namespace: this.namespace,
                    settings: config.alerts,
                    installed: {
                        ...pipeline,
                        dcgmExporter: this.dcgmExporter && { job: this.dcgmExporter.job },
                    },
                    alertmanagerConfigSecret: this.prometheus.alertmanagerConfigSecret,
                    monitoringCrds: this.prometheus.release,
                },
                asChild,
            );
        }
        if (config.networkPolicies.enabled) {
            this.networkPolicies = new NetworkPolicies(
                child("network-policies"),
                {
                    namespace: this.namespace,
                    pods: {
                        loki: this.loki?.pods,
                        lokiTargets: this.loki?.targets,
                        tempo: this.tempo?.pods,
                        tempoTargets: this.tempo?.componentPods,
                        grafana: this.grafana?.pods,
                        promtail: this.promtail?.pods,
                        alloy: this.alloy?.pods,
                        otelCollector: this.otelCollector?.pods,
                        prometheus: this.prometheus?.prometheusPods,
                        alertmanager: this.prometheus?.alertmanagerPods,
                        minio: this.objectStorage?.pods,
                    },
                    ingressControllerNamespace: config.grafana.ingress.enabled ? config.grafana.ingress.controllerNamespace : undefined,
                    externalGrafana: config.grafana.serviceType !== "ClusterIP",
                    externalOtelCollector: config.otelCollector.serviceType !== "ClusterIP",
                    replicatedGrafana: config.grafana.replicas > 1,
                },
                asChild,
            );
        }
        this.registerOutputs(this.outputs());
    }

    /** What the stack gives its users: where to look, where to send telemetry. */
    outputs() {
        return {
            namespace: this.namespace,
            grafanaUrl: this.grafana?.url,
            grafanaAdminUser: this.grafana?.adminUser,
            grafanaAdminPassword: this.grafana?.adminPassword,
            otlpGrpcEndpoint: this.otelCollector?.otlpGrpcEndpoint,
            otlpHttpEndpoint: this.otelCollector?.otlpHttpEndpoint,
            lokiPushUrl: this.loki?.pushUrl,
            lokiQueryUrl: this.loki?.queryUrl,
            prometheusUrl: this.prometheus?.prometheusUrl,
            alertmanagerUrl: this.prometheus?.alertmanagerUrl,
            tempoQueryUrl: this.tempo?.queryUrl,
        };
    }
}
