import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { GRAFANA_CONTAINER_PORT, GRAFANA_GOSSIP_PORT } from "./grafana";
import { LOKI_GRPC_PORT, LOKI_HTTP_PORT, LOKI_MEMBERLIST_PORT } from "./loki";
import { MINIO_API_PORT } from "./objectStorage";
import { OTEL_COLLECTOR_PORTS } from "./otelCollector";
import { ALERTMANAGER_CLUSTER_PORT, ALERTMANAGER_PORT, PROMETHEUS_PORT } from "./prometheus";
import { componentType, PodLabels } from "./subsystem";
import { TEMPO_PORTS, TempoComponentPods } from "./tempo";

/** The pods of each installed subsystem; an absent one is not installed. */
export interface StackPods {
    loki?: PodLabels;
    /** Loki's write and read targets (simple-scalable mode); absent in monolithic mode, where every Loki pod serves both. */
    lokiTargets?: { write: PodLabels; read: PodLabels };
    tempo?: PodLabels;
    /** Tempo's distributor, query-frontend and metrics-generator (distributed mode); absent in monolithic mode, where one pod is all of them. */
    tempoTargets?: TempoComponentPods;
    grafana?: PodLabels;
    promtail?: PodLabels;
    alloy?: PodLabels;
    otelCollector?: PodLabels;
    prometheus?: PodLabels;
    alertmanager?: PodLabels;
    /** The in-cluster object store and its bucket job. */
    minio?: { server: PodLabels; bucketJob: PodLabels };
}

export interface NetworkPolicyOptions {
    /** Namespace of the ingress controller in front of Grafana, when Grafana has an Ingress. */
    ingressControllerNamespace?: string;
    /** Services published outside the cluster (NodePort or LoadBalancer): any source may reach them. */
    externalGrafana?: boolean;
    externalOtelCollector?: boolean;
    /** Grafana runs more than one replica, whose alerting peers gossip. */
    replicatedGrafana?: boolean;
}

type Peer = Record<string, unknown>;
interface Ingress {
    from: Peer[];
    ports?: number[];
    /** Ports that take UDP too (memberlist gossips over both). */
    udpPorts?: number[];
}
export interface NetworkPolicySpec {
    name: string;
    /** Why the flow exists, kept as the policy's description annotation. */
    description: string;
    pods: PodLabels;
    ingress: Ingress[];
}

const podsOf = (labels: PodLabels | undefined): Peer[] => (labels ? [{ podSelector: { matchLabels: labels } }] : []);
const anywhere: Peer[] = [{ namespaceSelector: {} }, { ipBlock: { cidr: "0.0.0.0/0" } }, { ipBlock: { cidr: "::/0" } }];

/**
 * The namespace denies all ingress, then each flow the stack needs is allowed by name: exactly
 * these, nothing broader. Egress stays open (datasources, remote storage, the Kubernetes API).
 * Ports are the pods' container ports, which is what NetworkPolicies match.
 */
export function stackNetworkPolicies(pods: StackPods, options: NetworkPolicyOptions = {}): NetworkPolicySpec[] {
    const policies: NetworkPolicySpec[] = [
        {
            name: "default-deny-ingress",
            description: "Nothing reaches a pod of the stack unless a policy below allows it.",
            pods: {},
            ingress: [],
        },
    ];
    const allow = (name: string, description: string, target: PodLabels | undefined, ingress: Ingress[]) => {
        const rules = ingress.filter((rule) => rule.from.length > 0);
        if (target && rules.length) policies.push({ name, description, pods: target, ingress: rules });
    };
    if (pods.prometheus) {
        policies.push({
            name: "allow-prometheus-scrape",
            description: "Prometheus scrapes every pod of the stack for its metrics.",
            pods: {},
            ingress: [{ from: podsOf(pods.prometheus) }],
        });
    }
    // Loki's pods (single binary, or write, read and backend targets) call each other over HTTP and
    // gRPC and gossip over memberlist (TCP). In simple-scalable mode the shipper reaches only the
    // write target and Grafana only the read target.
    const lokiShippers = [...podsOf(pods.promtail), ...podsOf(pods.alloy)];
    const lokiTargets = pods.loki ? pods.lokiTargets : undefined;
    allow("allow-loki", "The log shipper pushes to Loki, Grafana queries it, Loki's own members gossip.", pods.loki, [
        { from: lokiTargets ? [] : [...lokiShippers, ...podsOf(pods.grafana)], ports: [LOKI_HTTP_PORT] },
        { from: podsOf(pods.loki), ports: [LOKI_HTTP_PORT, LOKI_GRPC_PORT, LOKI_MEMBERLIST_PORT] },
    ]);
    allow("allow-loki-write", "The log shipper pushes to Loki's write target.", lokiTargets?.write, [
        { from: lokiShippers, ports: [LOKI_HTTP_PORT] },
    ]);
    allow("allow-loki-read", "Grafana queries Loki's read target.", lokiTargets?.read, [
        { from: podsOf(pods.grafana), ports: [LOKI_HTTP_PORT] },
    ]);
    // Tempo: one pod, or (distributed mode) components that call each other over HTTP and gRPC and
    // gossip over memberlist (TCP); then the collector reaches only the distributors and Grafana only
    // the query-frontends.
    const tempoTargets = pods.tempo ? pods.tempoTargets : undefined;
    allow("allow-tempo", "The collector sends Tempo spans, Grafana queries it, Tempo's own components call each other.", pods.tempo, [
        { from: tempoTargets ? [] : podsOf(pods.otelCollector), ports: [TEMPO_PORTS.otlpGrpc, TEMPO_PORTS.otlpHttp] },
        { from: tempoTargets ? [] : podsOf(pods.grafana), ports: [TEMPO_PORTS.http] },
        { from: tempoTargets ? podsOf(pods.tempo) : [], ports: [TEMPO_PORTS.http, TEMPO_PORTS.grpc, TEMPO_PORTS.memberlist] },
    ]);
    allow("allow-tempo-distributor", "The collector sends spans to Tempo's distributors.", tempoTargets?.distributor, [
        { from: podsOf(pods.otelCollector), ports: [TEMPO_PORTS.otlpGrpc, TEMPO_PORTS.otlpHttp] },
    ]);
    allow("allow-tempo-query-frontend", "Grafana queries Tempo's query-frontends.", tempoTargets?.queryFrontend, [
        { from: podsOf(pods.grafana), ports: [TEMPO_PORTS.http] },
    ]);
    allow("allow-otel-collector", "Applications in any namespace send OTLP to the collector.", pods.otelCollector, [
        {
            from: options.externalOtelCollector ? anywhere : [{ namespaceSelector: {} }],
            ports: [OTEL_COLLECTOR_PORTS.otlpGrpc, OTEL_COLLECTOR_PORTS.otlpHttp],
        },
    ]);
    allow("allow-prometheus", "Grafana queries Prometheus; Tempo's metrics generator remote-writes to it.", pods.prometheus, [
        { from: [...podsOf(pods.grafana), ...podsOf(tempoTargets?.metricsGenerator ?? pods.tempo)], ports: [PROMETHEUS_PORT] },
    ]);
    allow("allow-alertmanager", "Prometheus sends alerts, Grafana reads them, replicas gossip.", pods.alertmanager, [
        { from: [...podsOf(pods.prometheus), ...podsOf(pods.grafana)], ports: [ALERTMANAGER_PORT] },
        { from: podsOf(pods.alertmanager), ports: [ALERTMANAGER_CLUSTER_PORT], udpPorts: [ALERTMANAGER_CLUSTER_PORT] },
    ]);
    allow("allow-minio", "Loki and Tempo keep their data in MinIO; its bucket job and its own members reach it.", pods.minio?.server, [
        {
            from: [...podsOf(pods.loki), ...podsOf(pods.tempo), ...podsOf(pods.minio?.bucketJob), ...podsOf(pods.minio?.server)],
            ports: [MINIO_API_PORT],
        },
    ]);
    allow("allow-grafana", "People reach Grafana through the ingress controller; replicas gossip alert state.", pods.grafana, [
        {
            from: options.externalGrafana
                ? anywhere
                : options.ingressControllerNamespace
                  ? [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": options.ingressControllerNamespace } } }]
                  : [],
            ports: [GRAFANA_CONTAINER_PORT],
        },
        // Unified alerting's peers share silences and notification state, over TCP and UDP like Alertmanager.
        { from: options.replicatedGrafana ? podsOf(pods.grafana) : [], ports: [GRAFANA_GOSSIP_PORT], udpPorts: [GRAFANA_GOSSIP_PORT] },
    ]);
    return policies;
}

/** The policy as the Kubernetes API takes it. */
export function networkPolicySpec(policy: NetworkPolicySpec) {
    return {
        podSelector: Object.keys(policy.pods).length ? { matchLabels: policy.pods } : {},
        policyTypes: ["Ingress"],
        ingress: policy.ingress.map((rule) => ({
            from: rule.from,
            ...(rule.ports
                ? {
                      ports: [
                          ...rule.ports.map((port) => ({ protocol: "TCP", port })),
                          ...(rule.udpPorts ?? []).map((port) => ({ protocol: "UDP", port })),
                      ],
                  }
                : {}),
        })),
    };
}

export interface NetworkPoliciesArgs extends NetworkPolicyOptions {
    namespace: pulumi.Input<string>;
    pods: StackPods;
}

/** The stack namespace's NetworkPolicies: deny by default, allow the stack's own flows. */
export class NetworkPolicies extends pulumi.ComponentResource {
    readonly policies: k8s.networking.v1.NetworkPolicy[];

    constructor(name: string, args: NetworkPoliciesArgs, opts?: pulumi.ComponentResourceOptions) {
        super(componentType("NetworkPolicies"), name, {}, opts);
        this.policies = stackNetworkPolicies(args.pods, args).map(
            (policy) =>
                new k8s.networking.v1.NetworkPolicy(
                    `${name}-${policy.name}`,
                    {
                        metadata: {
                            name: policy.name,
                            namespace: args.namespace,
                            annotations: { "gpu-observability/description": policy.description },
                        },
                        spec: networkPolicySpec(policy),
                    },
                    { parent: this },
                ),
        );
        this.registerOutputs({ policies: this.policies.map((p) => p.metadata.name) });
    }
}
