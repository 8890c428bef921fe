// The real ClusterAccess: the user's kubeconfig, the Kubernetes API, and a port-forward to a ready
// pod behind each Service, listening on an ephemeral port of 127.0.0.1 until close().
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { Writable } from "stream";
import * as k8s from "@kubernetes/client-node";
import { ClusterAccess, Workload } from "./clusterAccess";
import {
    containerPortNamed,
    daemonSetWorkload,
    deploymentWorkload,
    describeKubeError,
    isPodReady,
    statefulSetWorkload,
    targetPortOf,
} from "./kubeObjects";
import { labelSelector } from "./stackTargets";

// What the client's port-forward hands back: a `ws` WebSocket (isomorphic-ws ships no types of it).
interface ForwardSocket {
    on(event: "close", listener: () => void): void;
    close(): void;
}

const IN_CLUSTER_TOKEN = "/var/run/secrets/kubernetes.io/serviceaccount/token";

export class KubeClusterAccess implements ClusterAccess {
    private readonly core: k8s.CoreV1Api;
    private readonly apps: k8s.AppsV1Api;
    private readonly forwarder: k8s.PortForward;
    private readonly forwards = new Map<string, Promise<string>>();
    private readonly servers: net.Server[] = [];
    private readonly connections = new Set<net.Socket>();
    private readonly forwardSockets = new Set<ForwardSocket>();

    constructor(
        kubeConfig: k8s.KubeConfig,
        /** Where a broken port-forward connection is reported; the request on it fails on its own. */
        private readonly warn: (line: string) => void = (line) => console.error(line),
    ) {
        this.core = kubeConfig.makeApiClient(k8s.CoreV1Api);
        this.apps = kubeConfig.makeApiClient(k8s.AppsV1Api);
        this.forwarder = new k8s.PortForward(kubeConfig);
    }

    /**
     * The kubeconfig kubectl would use: $KUBECONFIG, else ~/.kube/config, else the pod's service
     * account. Without any of them the client would quietly aim at localhost:8080; say so instead.
     */
    static fromDefaultKubeconfig(warn?: (line: string) => void): KubeClusterAccess {
        const home = path.join(os.homedir(), ".kube", "config");
        if (!process.env.KUBECONFIG && !fs.existsSync(home) && !fs.existsSync(IN_CLUSTER_TOKEN)) {
            throw new Error(`no kubeconfig: set KUBECONFIG or create ${home} (kind create cluster writes it)`);
        }
        const kubeConfig = new k8s.KubeConfig();
        kubeConfig.loadFromDefault();
        if (!kubeConfig.getCurrentCluster())
            throw new Error(`the kubeconfig's current context "${kubeConfig.getCurrentContext()}" names no cluster`);
        return new KubeClusterAccess(kubeConfig, warn);
    }

    baseUrl(namespace: string, service: string, port: number): Promise<string> {
        const key = `${namespace}/${service}:${port}`;
        let forward = this.forwards.get(key);
        if (!forward) {
            forward = this.openForward(namespace, service, port);
            this.forwards.set(key, forward);
            // A failed attempt is not kept: the next caller tries again.
            forward.catch(() => this.forwards.delete(key));
        }
        return forward;
    }

    async listWorkloads(namespace: string): Promise<Workload[]> {
        const [deployments, statefulSets, daemonSets] = await Promise.all([
            this.api(() => this.apps.listNamespacedDeployment({ namespace })),
            this.api(() => this.apps.listNamespacedStatefulSet({ namespace })),
            this.api(() => this.apps.listNamespacedDaemonSet({ namespace })),
        ]);
        return [
            ...deployments.items.map(deploymentWorkload),
            ...statefulSets.items.map(statefulSetWorkload),
            ...daemonSets.items.map(daemonSetWorkload),
        ];
    }

    async readSecret(namespace: string, name: string): Promise<Record<string, string>> {
        const secret = await this.api(() => this.core.readNamespacedSecret({ name, namespace }));
        return Object.fromEntries(
            Object.entries(secret.data ?? {}).map(([key, value]) => [key, Buffer.from(value, "base64").toString("utf8")]),
        );
    }

    async nodesMatching(selector: Record<string, string>): Promise<string[]> {
        const nodes = await this.api(() => this.core.listNode({ labelSelector: labelSelector(selector) }));
        return nodes.items.map((node) => node.metadata?.name ?? "");
    }

    async close(): Promise<void> {
        for (const socket of this.forwardSockets) socket.close();
        for (const connection of this.connections) connection.destroy();
        await Promise.all(this.servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
    }

    private async api<T>(call: () => Promise<T>): Promise<T> {
        try {
            return await call();
        } catch (error) {
            throw new Error(describeKubeError(error));
        }
    }

    /** Finds a ready pod behind the Service and the pod port its targetPort names, then listens locally. */
    private async openForward(namespace: string, serviceName: string, port: number): Promise<string> {
        const service = await this.api(() => this.core.readNamespacedService({ name: serviceName, namespace }));
        const targetPort = targetPortOf(service, port);
        const selector = service.spec?.selector ?? {};
        if (Object.keys(selector).length === 0) throw new Error(`Service ${serviceName} selects no pods (it has no selector)`);
        const pods = await this.api(() => this.core.listNamespacedPod({ namespace, labelSelector: labelSelector(selector) }));
        const pod = pods.items.find(isPodReady);
        if (!pod?.metadata?.name) {
            throw new Error(
                `no ready pod behind Service ${serviceName}: ${pods.items.length} pod(s) match ${labelSelector(selector)}, none ready`,
            );
        }
        const podPort = typeof targetPort === "number" ? targetPort : containerPortNamed(pod, targetPort);
        if (podPort === undefined) throw new Error(`pod ${pod.metadata.name} has no container port named ${targetPort}`);

        const podName = pod.metadata.name;
        const server = net.createServer((connection) => this.forwardConnection(namespace, podName, podPort, connection));
        this.servers.push(server);
        await new Promise<void>((resolve, reject) => {
            server.once("error", reject);
            server.listen(0, "127.0.0.1", () => resolve());
        });
        return `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
    }

    // One WebSocket to the API server per local connection, closed with it, as kubectl port-forward does.
    private forwardConnection(namespace: string, pod: string, port: number, connection: net.Socket): void {
        const where = `port-forward to pod ${namespace}/${pod}:${port}`;
        this.connections.add(connection);
        connection.on("close", () => this.connections.delete(connection));
        connection.on("error", () => connection.destroy());
        // The API server reports a failure to reach the pod's port on the error stream, as text.
        // The stream opens with the port number, which the client strips and passes on as an empty chunk.
        const errors = new Writable({
            write: (chunk: Buffer, _encoding, done) => {
                const text = chunk.toString("utf8").trim();
                if (text) {
                    this.warn(`${where}: ${text}`);
                    connection.destroy();
                }
                done();
            },
        });
        this.forwarder.portForward(namespace, pod, [port], connection, errors, connection).then(
            (opened) => {
                const socket = (typeof opened === "function" ? opened() : opened) as ForwardSocket | null;
                if (!socket) return void connection.destroy();
                this.forwardSockets.add(socket);
                socket.on("close", () => {
                    this.forwardSockets.delete(socket);
                    connection.end();
                });
                connection.on("close", () => socket.close());
            },
            (error: unknown) => {
                this.warn(`${where} failed: ${describeKubeError(error)}`);
                connection.destroy();
            },
        );
    }
}
