// Local stand-ins of the APIs `verify` calls (the OTel Collector's OTLP/HTTP receiver, Tempo,
// Loki, Prometheus, Grafana), each an HTTP server on an ephemeral port of 127.0.0.1, and a fake
// ClusterAccess that maps the stack's Services to them, in the modes the config runs Loki and
// Tempo in. Each stand-in is healthy until a test changes its behaviour.
import * as http from "http";
import { AddressInfo, createConnection } from "net";
import { Duplex } from "stream";
import { DATASOURCE_UIDS } from "../../components/datasources";
import { LOKI_TARGETS } from "../../config/loki";
import { StackConfig } from "../../config/schema";
import { TEMPO_TARGETS } from "../../components/tempo";
import { ActiveTarget } from "../../scripts/verify/checks/prometheus";
import { ClusterAccess, Workload } from "../../scripts/verify/clusterAccess";
import {
    DCGM_EXPORTER_JOB,
    DEFAULT_RELEASE_NAMES,
    GRAFANA_ADMIN_SECRET,
    StackApi,
    stackServices,
    Subsystem,
} from "../../scripts/verify/stackTargets";

type Handler = (request: http.IncomingMessage, body: string, url: URL) => Answer | Promise<Answer>;
interface Answer {
    status: number;
    body?: unknown;
    /** Answer only after this long (or never, if the client gives up first). */
    delayMs?: number;
}

export interface Standin {
    url: string;
    server: http.Server;
    /** Every request it received, as `METHOD /path?query`. */
    requests: string[];
    close(): Promise<void>;
}

/** An HTTP server on 127.0.0.1:<ephemeral> answering with `handler`. */
export async function startStandin(handler: Handler): Promise<Standin> {
    const requests: string[] = [];
    const server = http.createServer((request, response) => {
        const chunks: Buffer[] = [];
        request.on("data", (chunk: Buffer) => chunks.push(chunk));
        request.on("end", async () => {
            const url = new URL(request.url ?? "/", "http://standin");
            requests.push(`${request.method} ${url.pathname}${url.search}`);
            const answer = await handler(request, Buffer.concat(chunks).toString("utf8"), url);
            const respond = () => {
                if (response.destroyed) return;
                const text = answer.body === undefined ? "" : typeof answer.body === "string" ? answer.body : JSON.stringify(answer.body);
                response.writeHead(answer.status, { "Content-Type": typeof answer.body === "string" ? "text/plain" : "application/json" });
                response.end(text);
            };
            if (!answer.delayMs) return respond();
            // Cleared when the client gives up, so a slow stand-in keeps no timer alive after its test.
            const timer = setTimeout(respond, answer.delayMs);
            response.on("close", () => clearTimeout(timer));
        });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return {
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        requests,
        server,
        close: () =>
            new Promise<void>((resolve) => {
                server.closeAllConnections();
                server.close(() => resolve());
            }),
    };
}

export const ADMIN = { user: "admin", password: "stand-in-password" } as const;
/** The admin Secret's third entry, GF_SECURITY_SECRET_KEY (components/grafana.ts), which verify does not read. */
export const GRAFANA_SECRET_KEY = "secret-key";
export const GPU_NODES = ["gpu-node-a", "gpu-node-b"];

/** The fake cluster: Services are stand-ins, everything else is data a test may change. */
export class FakeCluster implements ClusterAccess {
    readonly services = new Map<string, string>();
    workloads: Workload[] = [];
    secrets: Record<string, Record<string, string>> = {};
    nodes: { name: string; labels: Record<string, string> }[] = [];
    /** Services reached, as `namespace/service:port`. */
    readonly opened: string[] = [];
    closed = false;

    async baseUrl(namespace: string, service: string, port: number): Promise<string> {
        const key = `${namespace}/${service}:${port}`;
        const url = this.services.get(key);
        if (!url) throw new Error(`no Service ${key} in the fake cluster`);
        this.opened.push(key);
        return url;
    }

    async listWorkloads(): Promise<Workload[]> {
        return this.workloads;
    }

    async readSecret(namespace: string, name: string): Promise<Record<string, string>> {
        const secret = this.secrets[`${namespace}/${name}`];
        if (!secret) throw new Error(`secrets "${name}" not found`);
        return secret;
    }

    async nodesMatching(selector: Record<string, string>): Promise<string[]> {
        return this.nodes
            .filter((node) => Object.entries(selector).every(([key, value]) => node.labels[key] === value))
            .map((node) => node.name);
    }

    async close(): Promise<void> {
        this.closed = true;
    }
}

/** What each stand-in does; a test changes a field to break one thing. */
export interface Behaviour {
    /** The collector accepts spans but never hands them to Tempo. */
    collectorDropsSpans: boolean;
    /** Status Loki answers pushes with instead of storing them. */
    lokiPushStatus?: number;
    /** The tenant a multi-tenant Loki requires as X-Scope-OrgID. */
    lokiTenant?: string;
    targets: ActiveTarget[];
    /** Grafana's answer to a datasource's health check, by uid. */
    datasourceHealth: Record<string, { status: number; body: unknown }>;
    grafanaHealthDelayMs?: number;
}

export interface StandinStack {
    cluster: FakeCluster;
    behaviour: Behaviour;
    /** Trace ids the collector received, in order. */
    tracesReceived: string[];
    /** Lines Loki stored. */
    logLines: { labels: Record<string, string>; line: string; tenant?: string }[];
    /** By the API it stands in for: one stand-in per Service, so Loki's push and query are one in monolithic mode. */
    standins: Record<StackApi, Standin>;
    close(): Promise<void>;
}

interface OtlpTraces {
    resourceSpans: { scopeSpans: { spans: { traceId: string }[] }[] }[];
}

const target = (job: string, instance: string, node?: string): ActiveTarget => ({
    labels: { job, instance, ...(node ? { node } : {}) },
    discoveredLabels: node ? { __meta_kubernetes_pod_node_name: node } : {},
    health: "up",
});

const TEMPO_DEPLOYMENTS = ["distributor", "query-frontend", "querier", "metrics-generator"];

/** A workload of each enabled subsystem, every pod ready, as the charts would run them. */
export function healthyWorkloads(config: StackConfig): Workload[] {
    const of = (kind: Workload["kind"], name: string, release: string, desired = 1): Workload => ({
        kind,
        name,
        labels: { "app.kubernetes.io/instance": release },
        desired,
        ready: desired,
    });
    const byRelease: Record<Subsystem, (release: string) => Workload[]> = {
        prometheus: (release) => [
            of("Deployment", `${release}-operator`, release),
            of("Deployment", `${release}-kube-state-metrics`, release),
            of("DaemonSet", `${release}-prometheus-node-exporter`, release, 3),
            // Operator-made StatefulSets carry the chart's `release` label only, in this stand-in.
            { ...of("StatefulSet", `prometheus-${release}-prometheus`, release), labels: { release } },
            { ...of("StatefulSet", `alertmanager-${release}-alertmanager`, release), labels: { release } },
        ],
        // Simple-scalable: the read target is a Deployment, write and backend StatefulSets (templates/<target>/workload.yaml).
        loki: (release) =>
            config.loki.mode === "monolithic"
                ? [of("StatefulSet", release, release)]
                : LOKI_TARGETS.map((target) => of(target === "read" ? "Deployment" : "StatefulSet", `${release}-${target}`, release)),
        // Distributed: a workload per component, named after it; the stateless ones are Deployments
        // (tempo-distributed templates/<component>/deployment-*.yaml), the rest StatefulSets.
        tempo: (release) =>
            config.tempo.mode === "monolithic"
                ? [of("StatefulSet", release, release)]
                : Object.values(TEMPO_TARGETS).map((target) =>
                      of(TEMPO_DEPLOYMENTS.includes(target) ? "Deployment" : "StatefulSet", `${release}-${target}`, release),
                  ),
        dcgmExporter: (release) => [of("DaemonSet", release, release, GPU_NODES.length)],
        logs: (release) => [of("DaemonSet", release, release, 3)],
        otelCollector: (release) => [of("StatefulSet", release, release)],
        grafana: (release) => [of("Deployment", release, release)],
    };
    return (Object.keys(byRelease) as Subsystem[])
        .filter((subsystem) => config[subsystem].enabled)
        .flatMap((subsystem) => byRelease[subsystem](DEFAULT_RELEASE_NAMES[subsystem]));
}

/** Prometheus' active targets of a healthy stack: its own jobs, and the DCGM exporter on each GPU node. */
export function healthyTargets(config: StackConfig): ActiveTarget[] {
    return [
        target("kube-prometheus-stack-prometheus", "10.0.0.10:9090"),
        target("kube-state-metrics", "10.0.0.11:8080"),
        target("node-exporter", "172.18.0.2:9100"),
        ...(config.dcgmExporter.enabled ? GPU_NODES.map((node, i) => target(DCGM_EXPORTER_JOB, `10.0.1.${i + 1}:9400`, node)) : []),
    ];
}

/** Stand-ins of every API of a healthy stack with the given config, and the fake cluster that reaches them. */
export async function startStandinStack(config: StackConfig): Promise<StandinStack> {
    const behaviour: Behaviour = { collectorDropsSpans: false, targets: healthyTargets(config), datasourceHealth: {} };
    const tracesReceived: string[] = [];
    const tracesInTempo = new Set<string>();
    const logLines: StandinStack["logLines"] = [];

    const collector = await startStandin((request, body, url) => {
        if (request.method !== "POST" || url.pathname !== "/v1/traces") return { status: 404, body: "404 page not found" };
        const { resourceSpans } = JSON.parse(body) as OtlpTraces;
        const traceIds = resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans.map((span) => span.traceId)));
        tracesReceived.push(...traceIds);
        if (!behaviour.collectorDropsSpans) traceIds.forEach((id) => tracesInTempo.add(id));
        return { status: 200, body: { partialSuccess: {} } };
    });
    const tempo = await startStandin((_request, _body, url) => {
        const id = /^\/api\/traces\/([0-9a-f]{32})$/.exec(url.pathname)?.[1];
        if (!id) return { status: 404, body: "404 page not found" };
        if (!tracesInTempo.has(id)) return { status: 404, body: "trace not found" };
        return { status: 200, body: { batches: [{ resource: {}, scopeSpans: [{ spans: [{ name: "verify" }] }] }] } };
    });
    const services = stackServices(config);
    // Loki's API: pushes and queries, or only one of them where the Service is one target's
    // (simple-scalable: write pods take no queries, read pods no pushes; both answer 404 as Loki does
    // for a route its target does not serve).
    const lokiServing = (serves: { push: boolean; query: boolean }) =>
        startStandin((request, body, url) => {
            const tenant = request.headers["x-scope-orgid"] as string | undefined;
            if (behaviour.lokiTenant && tenant !== behaviour.lokiTenant) return { status: 401, body: "no org id\n" };
            if (serves.push && request.method === "POST" && url.pathname === "/loki/api/v1/push") {
                if (behaviour.lokiPushStatus) return { status: behaviour.lokiPushStatus, body: "rpc error: ingester unavailable\n" };
                for (const stream of JSON.parse(body).streams) {
                    for (const [, line] of stream.values) logLines.push({ labels: stream.stream, line, tenant });
                }
                return { status: 204 };
            }
            if (serves.query && request.method === "GET" && url.pathname === "/loki/api/v1/query_range") {
                const marker = /\|= "([^"]+)"/.exec(url.searchParams.get("query") ?? "")?.[1] ?? "";
                const lines = logLines.filter((entry) => entry.tenant === tenant && entry.line.includes(marker));
                const result = lines.map((entry) => ({ stream: entry.labels, values: [["1", entry.line]] }));
                return { status: 200, body: { status: "success", data: { resultType: "streams", result } } };
            }
            return { status: 404, body: "404 page not found" };
        });
    const oneLokiService = services.lokiPush.service === services.lokiQuery.service;
    const lokiPush = await lokiServing({ push: true, query: oneLokiService });
    const lokiQuery = oneLokiService ? lokiPush : await lokiServing({ push: false, query: true });
    const prometheus = await startStandin((_request, _body, url) => {
        if (url.pathname !== "/api/v1/targets") return { status: 404, body: "not found" };
        return { status: 200, body: { status: "success", data: { activeTargets: behaviour.targets, droppedTargets: [] } } };
    });
    const basicAuth = `Basic ${Buffer.from(`${ADMIN.user}:${ADMIN.password}`).toString("base64")}`;
    const grafana = await startStandin((request, _body, url) => {
        if (url.pathname === "/api/health") {
            return { status: 200, body: { database: "ok", version: "12.3.1" }, delayMs: behaviour.grafanaHealthDelayMs };
        }
        if (request.headers.authorization !== basicAuth) return { status: 401, body: { message: "Unauthorized" } };
        const health = /^\/api\/datasources\/uid\/([^/]+)\/health$/.exec(url.pathname)?.[1];
        if (health && health !== DATASOURCE_UIDS.alertmanager) {
            return behaviour.datasourceHealth[health] ?? { status: 200, body: { status: "OK", message: "Data source is working" } };
        }
        if (url.pathname === `/api/datasources/proxy/uid/${DATASOURCE_UIDS.alertmanager}/api/v2/status`) {
            return { status: 200, body: { cluster: { status: "ready" } } };
        }
        // As the real Grafana answers a datasource type without a backend (grafana/grafana#83794).
        if (health) return { status: 500, body: { message: "Plugin unavailable", messageId: "plugin.unavailable" } };
        return { status: 404, body: { message: "Not found" } };
    });

    const standins: Record<StackApi, Standin> = { otlpHttp: collector, tempoQuery: tempo, lokiPush, lokiQuery, prometheus, grafana };
    const cluster = new FakeCluster();
    for (const [api, standin] of Object.entries(standins)) {
        const { service, port } = services[api as StackApi];
        cluster.services.set(`${config.namespace}/${service}:${port}`, standin.url);
    }
    cluster.workloads = healthyWorkloads(config);
    // As the Grafana component writes it: the admin login, and the key Grafana encrypts its secrets with.
    cluster.secrets[`${config.namespace}/${GRAFANA_ADMIN_SECRET.name}`] = {
        [GRAFANA_ADMIN_SECRET.userKey]: ADMIN.user,
        [GRAFANA_ADMIN_SECRET.passwordKey]: ADMIN.password,
        [GRAFANA_SECRET_KEY]: "stand-in-secret-key",
    };
    cluster.nodes = [
        ...GPU_NODES.map((name) => ({ name, labels: { ...config.dcgmExporter.nodeSelector } })),
        { name: "cpu-node", labels: {} },
    ];
    return {
        cluster,
        behaviour,
        tracesReceived,
        logLines,
        standins,
        close: async () => {
            await Promise.all([...new Set(Object.values(standins))].map((standin) => standin.close()));
        },
    };
}

// The `ws` package (a dependency of @kubernetes/client-node) ships no types; this is what is used of it.
interface WebSocketLike {
    send(data: Buffer): void;
    close(): void;
    on(event: "message", listener: (data: Buffer) => void): void;
    on(event: "close", listener: () => void): void;
}
interface WebSocketServerLike {
    handleUpgrade(request: http.IncomingMessage, socket: Duplex, head: Buffer, done: (socket: WebSocketLike) => void): void;
    close(): void;
}
const { WebSocketServer } = require("ws") as {
    WebSocketServer: new (options: { noServer: true; handleProtocols: (protocols: Set<string>) => string | false }) => WebSocketServerLike;
};

/** What the stand-in Kubernetes API server holds, as the API returns it. */
export interface ApiObjects {
    services: Record<string, unknown>[];
    pods: Record<string, any>[];
    deployments: Record<string, unknown>[];
    statefulSets: Record<string, unknown>[];
    daemonSets: Record<string, unknown>[];
    secrets: Record<string, any>[];
    nodes: Record<string, any>[];
    /** Where a pod's port really is: `pod:port` -> a local port. */
    podPorts: Record<string, number>;
}

const matches = (selector: string | null, labels: Record<string, string> = {}) =>
    !selector || selector.split(",").every((pair) => labels[pair.split("=")[0]] === pair.split("=").slice(1).join("="));

/**
 * A stand-in of the Kubernetes API server for what the real ClusterAccess calls: reads of Services,
 * pods, workloads, Secrets and nodes, and a pod's port-forward over a WebSocket speaking
 * v4.channel.k8s.io (channel 0 data, channel 1 errors, each opened by the port number), as the
 * kubelet's streaming server does.
 */
export async function startStandinApiServer(objects: ApiObjects) {
    const requests: string[] = [];
    const forwards: string[] = [];
    const list = (items: unknown[], kind: string) => ({ status: 200, body: { kind, apiVersion: "v1", metadata: {}, items } });
    const notFound = (what: string) => ({
        status: 404,
        body: { kind: "Status", apiVersion: "v1", status: "Failure", message: `${what} not found`, code: 404 },
    });
    const byName = (items: Record<string, any>[], name: string, what: string) => {
        const found = items.find((item) => item.metadata?.name === name);
        return found ? { status: 200, body: found } : notFound(`${what} "${name}"`);
    };
    const standin = await startStandin((_request, _body, url) => {
        requests.push(`${url.pathname}${url.search}`);
        const selector = url.searchParams.get("labelSelector");
        const path = url.pathname;
        let match: RegExpExecArray | null;
        if ((match = /^\/api\/v1\/namespaces\/[^/]+\/services\/([^/]+)$/.exec(path))) return byName(objects.services, match[1], "services");
        if ((match = /^\/api\/v1\/namespaces\/[^/]+\/secrets\/([^/]+)$/.exec(path))) return byName(objects.secrets, match[1], "secrets");
        if (/^\/api\/v1\/namespaces\/[^/]+\/pods$/.test(path)) {
            return list(
                objects.pods.filter((pod) => matches(selector, pod.metadata?.labels)),
                "PodList",
            );
        }
        if (path === "/api/v1/nodes")
            return list(
                objects.nodes.filter((node) => matches(selector, node.metadata?.labels)),
                "NodeList",
            );
        if ((match = /^\/apis\/apps\/v1\/namespaces\/[^/]+\/(deployments|statefulsets|daemonsets)$/.exec(path))) {
            const kinds = { deployments: objects.deployments, statefulsets: objects.statefulSets, daemonsets: objects.daemonSets };
            return list(kinds[match[1] as keyof typeof kinds], "List");
        }
        return notFound(path);
    });
    const { server } = standin;
    // Upgraded connections are the server's no more: each is closed by hand at the end.
    const openSockets = new Set<{ close(): void }>();
    // The kubelet's port-forward speaks v4.channel.k8s.io; the client also offers v5, for exec.
    const protocol = "v4.channel.k8s.io";
    const webSockets = new WebSocketServer({ noServer: true, handleProtocols: (offered) => (offered.has(protocol) ? protocol : false) });
    server.on("upgrade", (request: http.IncomingMessage, socket: Duplex, head: Buffer) => {
        const url = new URL(request.url ?? "/", "http://standin");
        const pod = /^\/api\/v1\/namespaces\/[^/]+\/pods\/([^/]+)\/portforward$/.exec(url.pathname)?.[1];
        const port = Number(url.searchParams.get("ports"));
        forwards.push(`${pod}:${port}`);
        webSockets.handleUpgrade(request, socket, head, (webSocket) => {
            openSockets.add(webSocket);
            webSocket.on("close", () => openSockets.delete(webSocket));
            const opening = Buffer.alloc(3);
            opening.writeUInt16LE(port, 1);
            webSocket.send(Buffer.from([0, ...opening.subarray(1)]));
            webSocket.send(Buffer.from([1, ...opening.subarray(1)]));
            const local = objects.podPorts[`${pod}:${port}`];
            if (!local) {
                webSocket.send(
                    Buffer.concat([Buffer.from([1]), Buffer.from(`error forwarding port ${port} to pod ${pod}: connection refused`)]),
                );
                return webSocket.close();
            }
            const upstream = createConnection(local, "127.0.0.1");
            openSockets.add({ close: () => upstream.destroy() });
            upstream.on("data", (chunk: Buffer) => webSocket.send(Buffer.concat([Buffer.from([0]), chunk])));
            upstream.on("close", () => webSocket.close());
            upstream.on("error", () => webSocket.close());
            webSocket.on("message", (data) => {
                if (data[0] === 0) upstream.write(data.subarray(1));
            });
            webSocket.on("close", () => upstream.end());
        });
    });
    return {
        url: standin.url,
        requests,
        /** Port-forwards opened, as `pod:port`. */
        forwards,
        close: async () => {
            for (const socket of openSockets) socket.close();
            webSockets.close();
            await standin.close();
        },
    };
}
