// A real Kubernetes control plane on 127.0.0.1: etcd, kube-apiserver (with its default admission
// chain, Pod Security included), kube-controller-manager (with its host-path provisioner binding
// PVCs) and kube-scheduler, plus kwok running fake nodes whose scheduled pods it marks Ready. No
// container runs; nothing listens or connects beyond loopback.
import { spawn } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as https from "https";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import * as k8s from "@kubernetes/client-node";
import { E2E_STORAGE_CLASS } from "./pulumi";
import { BuiltTool } from "./tools";

export const SHARED_DIR = process.env.SHARED_DIR ?? path.resolve(__dirname, "../../shared");

export const E2E_DIR = process.env.GPU_OBSERVABILITY_E2E_DIR ?? path.join(os.homedir(), ".cache", "gpu-observability", "e2e-cluster");

export interface ClusterState {
    dir: string;
    kubeconfig: string;
    /** A folder with every tool (and the provider stand-ins) to put first on PATH. */
    binDir: string;
    apiserverUrl: string;
    /** The pinned charts, served as a Helm repository on loopback (the stack's mirror.chartRepository). */
    chartRepositoryUrl: string;
    /** The API server behind an authenticating loopback proxy, for programs that take no credentials. */
    apiserverProxyUrl: string;
    /** The arguments the Prometheus operator runs with on the host, once a stack installed it. */
    operatorArgs?: string[];
    pids: Record<string, number>;
}

const stateFile = (dir: string) => path.join(dir, "cluster.json");

async function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const server = net.createServer();
        server.once("error", reject);
        server.listen(0, "127.0.0.1", () => {
            const { port } = server.address() as net.AddressInfo;
            server.close(() => resolve(port));
        });
    });
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Starts a long-running process in its own group, logging to logs/<name>.log, and records its pid. */
function startProcess(dir: string, name: string, command: string, args: string[], env: NodeJS.ProcessEnv = process.env): number {
    const log = fs.openSync(path.join(dir, "logs", `${name}.log`), "a");
    const child = spawn(command, args, { detached: true, stdio: ["ignore", log, log], env });
    child.unref();
    fs.closeSync(log);
    if (!child.pid) throw new Error(`could not start ${name}`);
    return child.pid;
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number, logFile?: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        try {
            if (await check()) return;
        } catch {
            // not up yet
        }
        if (Date.now() > deadline) {
            const tail = logFile && fs.existsSync(logFile) ? "\n" + fs.readFileSync(logFile, "utf8").split("\n").slice(-15).join("\n") : "";
            throw new Error(`${what} did not come up within ${timeoutMs / 1000} s${tail}`);
        }
        await sleep(250);
    }
}

function writeKeys(pki: string): void {
    const { publicKey, privateKey } = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 });
    fs.writeFileSync(path.join(pki, "sa.key"), privateKey.export({ type: "pkcs1", format: "pem" }));
    fs.writeFileSync(path.join(pki, "sa.pub"), publicKey.export({ type: "spki", format: "pem" }));
}

function kubeconfigYaml(server: string, token: string): string {
    return [
        "apiVersion: v1",
        "kind: Config",
        "clusters:",
        "- name: e2e",
        "  cluster:",
        `    server: ${server}`,
        // The API server's serving certificate is self-signed on start; only loopback is involved.
        "    insecure-skip-tls-verify: true",
        "users:",
        "- name: admin",
        "  user:",
        `    token: ${token}`,
        "contexts:",
        "- name: e2e",
        "  context:",
        "    cluster: e2e",
        "    user: admin",
        "current-context: e2e",
        "",
    ].join("\n");
}

export function kubeConfig(state: ClusterState): k8s.KubeConfig {
    const config = new k8s.KubeConfig();
    config.loadFromFile(state.kubeconfig);
    return config;
}

/** /readyz, which also waits for the API server's post-start hooks (bootstrap RBAC among them). */
async function apiserverReady(state: ClusterState): Promise<boolean> {
    const user = kubeConfig(state).getCurrentUser();
    return new Promise((resolve) => {
        const request = https.get(
            `${state.apiserverUrl}/readyz`,
            // Self-signed serving certificate on loopback (the kubeconfig skips verification too).
            { headers: { Authorization: `Bearer ${user?.token}` }, rejectUnauthorized: false },
            (response) => {
                response.resume();
                resolve(response.statusCode === 200);
            },
        );
        request.on("error", () => resolve(false));
    });
}

const alive = (pid?: number) => {
    if (!pid) return false;
    try {
        process.kill(pid, 0);
        return true;
    } catch {
        return false;
    }
};

/** The recorded cluster, if its processes are all still alive. */
export function runningCluster(dir = E2E_DIR): ClusterState | undefined {
    if (!fs.existsSync(stateFile(dir))) return undefined;
    const state = JSON.parse(fs.readFileSync(stateFile(dir), "utf8")) as ClusterState;
    return Object.values(state.pids).every(alive) ? state : undefined;
}

/** Stops every process of the cluster and removes its folder (etcd data, keys, Pulumi backend). */
export async function stopCluster(dir = E2E_DIR): Promise<void> {
    if (fs.existsSync(stateFile(dir))) {
        const state = JSON.parse(fs.readFileSync(stateFile(dir), "utf8")) as ClusterState;
        for (const pid of Object.values(state.pids).reverse()) {
            try {
                process.kill(-pid, "SIGTERM");
            } catch {
                // already gone
            }
        }
        await sleep(1000);
        for (const pid of Object.values(state.pids)) {
            try {
                process.kill(-pid, "SIGKILL");
            } catch {
                // already gone
            }
        }
    }
    fs.rmSync(dir, { recursive: true, force: true });
}

/** Starts etcd, the API server, controller-manager, scheduler and kwok; returns once the API is ready. */
export async function startCluster(tools: BuiltTool[], dir = E2E_DIR): Promise<ClusterState> {
    await stopCluster(dir);
    for (const sub of ["pki", "logs", "etcd", "bin", "volumes"]) fs.mkdirSync(path.join(dir, sub), { recursive: true });
    const tool = (name: string) => {
        const found = tools.find((t) => t.name === name);
        if (!found) throw new Error(`tool ${name} is not built`);
        return found.path;
    };
    const binDir = path.join(dir, "bin");
    for (const t of tools) fs.symlinkSync(t.path, path.join(binDir, t.name));

    const pki = path.join(dir, "pki");
    writeKeys(pki);
    const token = crypto.randomBytes(24).toString("hex");
    fs.writeFileSync(path.join(pki, "tokens.csv"), `${token},admin,admin,"system:masters"\n`);
    const [etcdClient, etcdPeer, apiserver, controllerManager, scheduler, kwokServer, charts, proxy] = await Promise.all(
        Array.from({ length: 8 }, freePort),
    );
    const apiserverUrl = `https://127.0.0.1:${apiserver}`;
    const kubeconfig = path.join(dir, "kubeconfig");
    fs.writeFileSync(kubeconfig, kubeconfigYaml(apiserverUrl, token), { mode: 0o600 });
    const state: ClusterState = {
        dir,
        kubeconfig,
        binDir,
        apiserverUrl,
        chartRepositoryUrl: `http://127.0.0.1:${charts}`,
        apiserverProxyUrl: `http://127.0.0.1:${proxy}`,
        pids: {},
    };
    const log = (name: string) => path.join(dir, "logs", `${name}.log`);
    const record = () => fs.writeFileSync(stateFile(dir), JSON.stringify(state, null, 2));

    state.pids.etcd = startProcess(dir, "etcd", tool("etcd"), [
        "--name=e2e",
        `--data-dir=${path.join(dir, "etcd")}`,
        `--listen-client-urls=http://127.0.0.1:${etcdClient}`,
        `--advertise-client-urls=http://127.0.0.1:${etcdClient}`,
        `--listen-peer-urls=http://127.0.0.1:${etcdPeer}`,
        `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeer}`,
        `--initial-cluster=e2e=http://127.0.0.1:${etcdPeer}`,
        // A throwaway cluster: speed over durability.
        "--unsafe-no-fsync",
        "--quota-backend-bytes=4294967296",
    ]);
    record();
    await waitFor("etcd", async () => (await fetch(`http://127.0.0.1:${etcdClient}/health`)).ok, 30_000, log("etcd"));

    state.pids.apiserver = startProcess(dir, "kube-apiserver", tool("kube-apiserver"), [
        `--etcd-servers=http://127.0.0.1:${etcdClient}`,
        "--bind-address=127.0.0.1",
        "--advertise-address=127.0.0.1",
        `--secure-port=${apiserver}`,
        `--cert-dir=${path.join(pki, "serving")}`,
        `--token-auth-file=${path.join(pki, "tokens.csv")}`,
        "--authorization-mode=RBAC",
        "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
        `--service-account-key-file=${path.join(pki, "sa.pub")}`,
        `--service-account-signing-key-file=${path.join(pki, "sa.key")}`,
        "--service-cluster-ip-range=10.96.0.0/16",
        // Host agents (node-exporter, the log shipper, the DCGM exporter) ask for host access;
        // Pod Security admission on each namespace decides, as on a real cluster.
        "--allow-privileged=true",
        // The "kubernetes" Service would get a loopback endpoint, which EndpointSlices refuse.
        "--endpoint-reconciler-type=none",
        "--profiling=false",
    ]);
    record();
    await waitFor("kube-apiserver", () => apiserverReady(state), 90_000, log("kube-apiserver"));

    state.pids.controllerManager = startProcess(dir, "kube-controller-manager", tool("kube-controller-manager"), [
        `--kubeconfig=${kubeconfig}`,
        "--bind-address=127.0.0.1",
        `--secure-port=${controllerManager}`,
        "--leader-elect=false",
        `--service-account-private-key-file=${path.join(pki, "sa.key")}`,
        // Binds every PVC of a StorageClass whose provisioner is kubernetes.io/host-path.
        "--enable-hostpath-provisioner",
        "--controllers=*,-nodeipam,-cloud-node-lifecycle,-service-lb-controller,-node-route-controller",
    ]);
    state.pids.scheduler = startProcess(dir, "kube-scheduler", tool("kube-scheduler"), [
        `--kubeconfig=${kubeconfig}`,
        `--authentication-kubeconfig=${kubeconfig}`,
        `--authorization-kubeconfig=${kubeconfig}`,
        "--bind-address=127.0.0.1",
        `--secure-port=${scheduler}`,
        "--leader-elect=false",
    ]);
    const kwokSrc = tools.find((t) => t.name === "kwok")!.srcDir;
    const kwokStages = fs.readdirSync(kwokSrc).filter((file) => /^(node|pod)-.*\.yaml$/.test(file));
    state.pids.kwok = startProcess(dir, "kwok", tool("kwok"), [
        `--kubeconfig=${kubeconfig}`,
        `--config=${kwokStages.map((file) => path.join(kwokSrc, file)).join(",")}`,
        "--node-lease-duration-seconds=40",
        "--manage-all-nodes=false",
        "--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake",
        `--server-address=127.0.0.1:${kwokServer}`,
        "--node-ip=127.0.0.1",
        "--cidr=10.244.0.0/16",
    ]);
    const chartFolder = path.join(SHARED_DIR, "charts", "repo");
    if (!fs.existsSync(path.join(chartFolder, "index.yaml")))
        throw new Error(`${chartFolder}/index.yaml is missing: lay shared/ beside the project (or set SHARED_DIR)`);
    const tsx = path.join(__dirname, "..", "node_modules", ".bin", "tsx");
    state.pids.chartRepository = startProcess(dir, "chart-repository", tsx, [
        path.join(__dirname, "chartRepository.ts"),
        chartFolder,
        String(charts),
    ]);
    state.pids.apiserverProxy = startProcess(dir, "apiserver-proxy", tsx, [
        path.join(__dirname, "apiserverProxy.ts"),
        kubeconfig,
        String(proxy),
    ]);
    record();
    await createStorageClass(state);
    await waitFor(
        "chart repository",
        async () => (await fetch(`${state.chartRepositoryUrl}/index.yaml`)).ok,
        30_000,
        log("chart-repository"),
    );
    return state;
}

async function createStorageClass(state: ClusterState): Promise<void> {
    const storage = kubeConfig(state).makeApiClient(k8s.StorageV1Api);
    await storage.createStorageClass({
        body: {
            metadata: { name: E2E_STORAGE_CLASS, annotations: { "storageclass.kubernetes.io/is-default-class": "true" } },
            provisioner: "kubernetes.io/host-path",
            reclaimPolicy: "Delete",
            // As cloud disks and local-path do: provisioned once the scheduler has placed the pod.
            volumeBindingMode: "WaitForFirstConsumer",
        },
    });
}

export interface FakeNode {
    name: string;
    gpus?: number;
    zone?: string;
}

/** Registers fake nodes (4 CPU / 16 GiB each); GPU nodes are labelled, tainted and advertise `nvidia.com/gpu`. */
export async function addNodes(state: ClusterState, nodes: FakeNode[]): Promise<void> {
    const core = kubeConfig(state).makeApiClient(k8s.CoreV1Api);
    for (const node of nodes) {
        const capacity: Record<string, string> = { cpu: "4", memory: "16Gi", pods: "110", "ephemeral-storage": "100Gi" };
        if (node.gpus) capacity["nvidia.com/gpu"] = String(node.gpus);
        await core.createNode({
            body: {
                metadata: {
                    name: node.name,
                    annotations: { "kwok.x-k8s.io/node": "fake" },
                    labels: {
                        "kubernetes.io/hostname": node.name,
                        "kubernetes.io/os": "linux",
                        "kubernetes.io/arch": "amd64",
                        type: "kwok",
                        ...(node.zone ? { "topology.kubernetes.io/zone": node.zone } : {}),
                        ...(node.gpus ? { "nvidia.com/gpu.present": "true" } : {}),
                    },
                },
                spec: node.gpus ? { taints: [{ key: "nvidia.com/gpu", value: "present", effect: "NoSchedule" }] } : {},
                status: { capacity, allocatable: capacity },
            },
        });
    }
    await waitFor(
        "fake nodes Ready",
        async () => {
            const list = await core.listNode();
            return nodes.every((n) =>
                list.items.some(
                    (item) =>
                        item.metadata?.name === n.name && item.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True"),
                ),
            );
        },
        60_000,
        path.join(state.dir, "logs", "kwok.log"),
    );
}

/**
 * Runs the Prometheus operator on the host in place of the container of the stack's operator
 * Deployment, with that container's own arguments (but for its web server, bound to loopback, and
 * the kubelet Service, whose endpoints would be the fake nodes' loopback addresses), so that it
 * creates the Prometheus and Alertmanager StatefulSets as it does in a cluster. Restarted when the
 * Deployment's arguments change.
 */
export async function runPrometheusOperator(state: ClusterState, tools: BuiltTool[], containerArgs: string[]): Promise<void> {
    const args = [
        ...containerArgs.filter((arg) => !/^--?(web\.|kubelet-)/.test(arg)),
        `--apiserver=${state.apiserverProxyUrl}`,
        `--web.listen-address=127.0.0.1:${await freePort()}`,
    ];
    if (alive(state.pids.prometheusOperator) && JSON.stringify(state.operatorArgs) === JSON.stringify(containerArgs)) return;
    if (alive(state.pids.prometheusOperator)) process.kill(-state.pids.prometheusOperator, "SIGTERM");
    const operator = tools.find((t) => t.name === "prometheus-operator");
    if (!operator) throw new Error("tool prometheus-operator is not built");
    state.pids.prometheusOperator = startProcess(state.dir, "prometheus-operator", operator.path, args);
    state.operatorArgs = containerArgs;
    fs.writeFileSync(stateFile(state.dir), JSON.stringify(state, null, 2));
}
