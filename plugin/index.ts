// ObservabilityStack for Python, Go, .NET, Java and YAML programs. Pulumi generates their SDKs from
// this file's types with the TypeScript compiler (@pulumi/pulumi's provider/experimental analyzer).
// It reads args declared as interfaces of strings, numbers, booleans, arrays, maps, enums and other
// interfaces; the TypeScript ObservabilityStack's args are zod-inferred object types, which it
// refuses ("args parameter must be an interface", "Unsupported type"). Rather than declare the
// config a second time as interfaces, the config travels as JSON text and is checked by the same
// schema, declared once in gpu-observability's config/.
import * as pulumi from "@pulumi/pulumi";
import { ConfigError, ObservabilityStack as Stack, StackConfig, validateStackConfig } from "gpu-observability";

/** ObservabilityStack's args in other languages: the whole stack config, in one property. */
export interface ObservabilityStackArgs {
    /**
     * The stack config as JSON text, with the keys a stack file sets under `gpu-observability:`
     * (docs/configuration.md), for example {"loki": {"retention": "30d"}}. Every key is optional;
     * unset, the defaults apply. It must be known before the deployment: the config decides which
     * resources exist.
     */
    config?: string;
}

/**
 * Logs, traces, metrics and GPU telemetry for a Kubernetes cluster running GPU AI services: Loki,
 * Tempo, kube-prometheus-stack, NVIDIA's DCGM exporter, Promtail or Grafana Alloy, the
 * OpenTelemetry Collector and Grafana, wired together in one namespace. Pass a Kubernetes provider
 * in the resource options to choose the cluster. The outputs of a subsystem the config disables
 * are unset.
 */
export class ObservabilityStack extends pulumi.ComponentResource {
    /** The namespace every release is installed into. */
    readonly namespace: pulumi.Output<string>;
    /** Grafana's address inside the cluster. */
    readonly grafanaUrl: pulumi.Output<string | undefined>;
    /** Grafana's admin user. */
    readonly grafanaAdminUser: pulumi.Output<string | undefined>;
    /** Grafana's generated admin password (a secret). */
    readonly grafanaAdminPassword: pulumi.Output<string | undefined>;
    /** Where applications send OTLP over gRPC (port 4317). */
    readonly otlpGrpcEndpoint: pulumi.Output<string | undefined>;
    /** Where applications send OTLP over HTTP (port 4318). */
    readonly otlpHttpEndpoint: pulumi.Output<string | undefined>;
    /** Loki's push URL. */
    readonly lokiPushUrl: pulumi.Output<string | undefined>;
    /** Loki's query URL (Grafana's Loki datasource). */
    readonly lokiQueryUrl: pulumi.Output<string | undefined>;
    /** Prometheus' URL. */
    readonly prometheusUrl: pulumi.Output<string | undefined>;
    /** Alertmanager's URL. */
    readonly alertmanagerUrl: pulumi.Output<string | undefined>;
    /** Tempo's query URL (Grafana's Tempo datasource). */
    readonly tempoQueryUrl: pulumi.Output<string | undefined>;

    constructor(name: string, args: ObservabilityStackArgs, opts?: pulumi.ComponentResourceOptions) {
        // Parsed before anything is registered, so invalid config creates nothing, this included.
        const config = stackConfigOf(args.config, `ObservabilityStack "${name}" config`);
        // The token Pulumi derives from this plugin's package name and the class name.
        super("gpu-observability:index:ObservabilityStack", name, {}, opts);
        const outputs = new Stack(name, config, { parent: this }).outputs();
        this.namespace = outputs.namespace;
        this.grafanaUrl = pulumi.output(outputs.grafanaUrl);
        this.grafanaAdminUser = pulumi.output(outputs.grafanaAdminUser);
        this.grafanaAdminPassword = pulumi.output(outputs.grafanaAdminPassword);
        this.otlpGrpcEndpoint = pulumi.output(outputs.otlpGrpcEndpoint);
        this.otlpHttpEndpoint = pulumi.output(outputs.otlpHttpEndpoint);
        this.lokiPushUrl = pulumi.output(outputs.lokiPushUrl);
        this.lokiQueryUrl = pulumi.output(outputs.lokiQueryUrl);
        this.prometheusUrl = pulumi.output(outputs.prometheusUrl);
        this.alertmanagerUrl = pulumi.output(outputs.alertmanagerUrl);
        this.tempoQueryUrl = pulumi.output(outputs.tempoQueryUrl);
        this.registerOutputs(outputs);
    }
}

function stackConfigOf(text: string | undefined, source: string): StackConfig {
    // A secret, or text computed from another resource, arrives as an Output: its value is not
    // known while the resources are being decided.
    if (pulumi.Output.isInstance(text)) {
        const message = "is an Output (a secret, or computed from another resource); pass JSON text known before the deployment";
        throw new ConfigError([{ key: "config", message }], source);
    }
    if (text === undefined || text.trim() === "") return validateStackConfig({}, "", source);
    let parsed: unknown;
    try {
        parsed = JSON.parse(text);
    } catch (error) {
        const message = `is not JSON (${(error as Error).message}); write the stack config as a JSON object`;
        throw new ConfigError([{ key: "config", message }], source);
    }
    return validateStackConfig(parsed, "", source);
}
