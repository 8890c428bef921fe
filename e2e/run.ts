// npm run e2e: the real Pulumi CLI and Kubernetes provider apply the real program to a real API
// server, controller-manager and scheduler on 127.0.0.1, with kwok's fake nodes (one CPU node, two
// GPU nodes) standing in for kubelets. Each step prints a line with its duration and verdict.
//   npm run e2e                                  every step, then tear down; exit 1 on any failure
//   npm run e2e -- --keep [--config-file F]      cluster and stack up, left running; prints `export` lines
//   npm run e2e -- --down                        stop the kept cluster
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { Stack } from "@pulumi/pulumi/automation";
import { DASHBOARD_LABEL } from "../components/grafana";
import { PROJECT, validateStackConfig } from "../config";
import { PROJECT_DIR } from "../scripts/lib/mockEngine";
import {
    AppliedObject,
    clients,
    Clients,
    clusterScoped,
    noFailureEvents,
    objectsPresent,
    placedOn,
    podsReady,
    pvcsBound,
    releaseLeftovers,
} from "./checks";
import { spreadHolds } from "./placement";
import {
    addNodes,
    ClusterState,
    FakeNode,
    runningCluster,
    runPrometheusOperator,
    SHARED_DIR,
    sleep,
    startCluster,
    stopCluster,
} from "./cluster";
import { e2eConfig, e2eEnv, e2eStack, installStandIns } from "./pulumi";
import { BuiltTool, ensureTools } from "./tools";

const DEV_NODES: FakeNode[] = [{ name: "cpu-0" }, { name: "gpu-0", gpus: 8 }, { name: "gpu-1", gpus: 8 }];
const ZONES = ["zone-a", "zone-b", "zone-c"];
const PRODUCTION_NODES: FakeNode[] = ZONES.flatMap((zone) => [
    { name: `${zone}-cpu-0`, zone },
    { name: `${zone}-cpu-1`, zone },
    { name: `${zone}-gpu-0`, zone, gpus: 8 },
]);
/** Charts keep their CustomResourceDefinitions on uninstall (Helm never deletes crds/): they would
 * take every ServiceMonitor and PrometheusRule of the cluster with them, other teams' included. */
const KEPT_BY_HELM = /^CustomResourceDefinition\/.*\.monitoring\.coreos\.com$/;

interface Verdict {
    problems: string[];
    detail?: string;
}

const results: { name: string; passed: boolean }[] = [];

async function step(name: string, run: () => Promise<Verdict>): Promise<boolean> {
    const started = Date.now();
    let verdict: Verdict;
    try {
        verdict = await run();
    } catch (error) {
        verdict = { problems: [String((error as Error).stack ?? error).slice(0, 4000)] };
    }
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    const passed = verdict.problems.length === 0;
    results.push({ name, passed });
    console.log(`${passed ? "PASS" : "FAIL"}  ${name} (${seconds} s)${verdict.detail ? `: ${verdict.detail}` : ""}`);
    for (const problem of verdict.problems) console.log(`      - ${problem}`);
    return passed;
}

interface StackState {
    releases: { name: string; namespace: string; chart: string; version: string; status: string; revision: number }[];
    objects: AppliedObject[];
    namespace: string;
}

/** The releases and directly applied objects the engine recorded for the stack. */
async function stackState(stack: Stack): Promise<StackState> {
    const deployment = await stack.exportStack();
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const resources = (deployment.deployment.resources ?? []) as any[];
    const releases = resources
        .filter((r) => r.type === "kubernetes:helm.sh/v3:Release")
        .map((r) => ({
            name: r.outputs.name,
            namespace: r.outputs.namespace,
            chart: r.outputs.chart,
            version: r.outputs.version,
            status: r.outputs.status?.status,
            revision: r.outputs.status?.revision,
        }));
    const objects = resources
        .filter(
            (r) =>
                r.custom &&
                r.type.startsWith("kubernetes:") &&
                !r.type.startsWith("kubernetes:helm.sh") &&
                !r.type.startsWith("pulumi:providers"),
        )
        .map((r) => ({
            apiVersion: r.outputs.apiVersion,
            kind: r.outputs.kind,
            name: r.outputs.metadata.name,
            namespace: r.outputs.metadata.namespace,
        }));
    const namespace = objects.find((o) => o.kind === "Namespace")?.name ?? "";
    return { releases, objects, namespace };
}

const dashboards = async (c: Clients, namespace: string) =>
    (await c.core.listNamespacedConfigMap({ namespace, labelSelector: `${DASHBOARD_LABEL.key}=${DASHBOARD_LABEL.value}` })).items.length;

/** What a stack config installs, as the project's own schema reads it (profile defaults included). */
function expectationFor(config: Record<string, unknown>, nodes: FakeNode[]): Expectation {
    const prefix = `${PROJECT}:`;
    const settings = validateStackConfig(
        Object.fromEntries(
            Object.entries(config)
                .filter(([key]) => key.startsWith(prefix))
                .map(([key, value]) => [key.slice(prefix.length), value]),
        ),
    );
    return {
        nodes,
        shipper: settings.logs.enabled ? settings.logs.shipper : undefined,
        dcgmExporter: settings.dcgmExporter.enabled && settings.dcgmExporter.mode !== "gpu-operator",
    };
}

interface Expectation {
    nodes: FakeNode[];
    shipper?: "promtail" | "alloy";
    /** Whether the stack installs its own DCGM exporter (not in gpu-operator mode). */
    dcgmExporter: boolean;
    spread?: boolean;
    /** Releases a switch removed: nothing of them may be left. */
    gone?: string[];
}

let builtTools: BuiltTool[] = [];
let liveCluster: ClusterState | undefined;

/**
 * The stack's Prometheus operator container, run on the host (see runPrometheusOperator); then every
 * Prometheus and Alertmanager resource must get its StatefulSet from it, as in a cluster.
 */
async function hostPrometheusOperator(c: Clients, namespace: string): Promise<string[]> {
    const deployments = await c.apps.listNamespacedDeployment({ namespace });
    for (const deployment of deployments.items) {
        const container = deployment.spec?.template.spec?.containers.find((x) =>
            /prometheus-operator\/prometheus-operator:/.test(x.image ?? ""),
        );
        if (container && liveCluster) await runPrometheusOperator(liveCluster, builtTools, container.args ?? []);
    }
    const owners: [string, string][] = [];
    for (const [kind, plural] of [
        ["Prometheus", "prometheuses"],
        ["Alertmanager", "alertmanagers"],
    ]) {
        const list = (await c.custom.listNamespacedCustomObject({ group: "monitoring.coreos.com", version: "v1", namespace, plural })) as {
            items: { metadata: { name: string } }[];
        };
        owners.push(...list.items.map((item): [string, string] => [kind, item.metadata.name]));
    }
    let missing: string[] = [];
    for (let attempt = 0; attempt < 60; attempt++) {
        const sets = (await c.apps.listNamespacedStatefulSet({ namespace })).items;
        missing = owners
            .filter(([kind, name]) => !sets.some((set) => set.metadata?.ownerReferences?.some((o) => o.kind === kind && o.name === name)))
            .map(([kind, name]) => `${kind} ${name} has no StatefulSet from the operator`);
        if (missing.length === 0) break;
        await sleep(1000);
    }
    return missing;
}

/** Everything step 1 asks of a deployed stack, for any stack and switch. */
async function deployedAsExpected(c: Clients, stack: Stack, since: Date, expect: Expectation): Promise<Verdict> {
    const state = await stackState(stack);
    const namespaces = [state.namespace];
    const problems: string[] = [];
    for (const release of state.releases) if (release.status !== "deployed") problems.push(`release ${release.name} is ${release.status}`);
    problems.push(...(await objectsPresent(c, state.objects)));
    problems.push(...(await hostPrometheusOperator(c, state.namespace)));
    const { problems: notReady, pods } = await podsReady(c, namespaces);
    const events = await noFailureEvents(c, namespaces, since);
    problems.push(...notReady, ...events.problems);
    const claims = await pvcsBound(c, namespaces);
    problems.push(...claims.problems);
    const appName = (name: string) => (pod: { metadata?: { labels?: Record<string, string> } }) =>
        pod.metadata?.labels?.["app.kubernetes.io/name"] === name;
    const gpuNodes = expect.nodes.filter((n) => n.gpus).map((n) => n.name);
    problems.push(...placedOn(pods, "the DCGM exporter", appName("dcgm-exporter"), expect.dcgmExporter ? gpuNodes : []));
    for (const shipper of ["promtail", "alloy"]) {
        problems.push(...placedOn(pods, shipper, appName(shipper), expect.shipper === shipper ? expect.nodes.map((n) => n.name) : []));
    }
    for (const release of expect.gone ?? []) problems.push(...(await releaseLeftovers(c, state.namespace, release)));
    const nodes = (await c.core.listNode()).items;
    if (expect.spread) problems.push(...spreadHolds(pods, nodes));
    const count = async (plural: string) =>
        (
            (await c.custom.listNamespacedCustomObject({
                group: "monitoring.coreos.com",
                version: "v1",
                namespace: state.namespace,
                plural,
            })) as { items: unknown[] }
        ).items.length;
    const kinds = (kind: string) => state.objects.filter((o) => o.kind === kind).length;
    return {
        problems,
        detail:
            `${state.releases.length} releases deployed, ${pods.length} pods Ready on ${new Set(pods.map((p) => p.spec?.nodeName)).size} nodes, ` +
            `${claims.count} PVCs bound, ${state.objects.length} objects applied (${kinds("PrometheusRule")} PrometheusRules, ` +
            `${await dashboards(c, state.namespace)} dashboards), ` +
            `${await count("servicemonitors")} ServiceMonitors and ${await count("prometheusrules")} PrometheusRules in the API` +
            (events.retried ? `; ${events.retried} scheduling attempts retried after a write conflict` : ""),
    };
}

async function up(stack: Stack): Promise<{ changes: Record<string, number>; releaseSeconds: string }> {
    let output = "";
    const result = await stack.up({ onOutput: (out) => (output += out) });
    // What the engine printed for each release it created: "Release <name> created (8.6s)".
    const releaseSeconds = [...output.matchAll(/Release gpu-observability-(\S+) created \(([\d.]+)s\)/g)]
        .map(([, name, s]) => `${name} ${s}`)
        .join(", ");
    return { changes: (result.summary.resourceChanges ?? {}) as Record<string, number>, releaseSeconds };
}

const onlySame = (changes: Record<string, number>) => Object.entries(changes).filter(([op, n]) => op !== "same" && n > 0);

const helm = (cluster: ClusterState, args: string[]) =>
    execFileSync(path.join(SHARED_DIR, "tools", "helm"), [...args, "--kubeconfig", cluster.kubeconfig], {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
    });

async function destroyLeavesNothing(stack: Stack, c: Clients, before: Map<string, string>): Promise<Verdict> {
    const { namespace } = await stackState(stack);
    await stack.destroy({ onOutput: () => {} });
    const problems: string[] = [];
    const deadline = Date.now() + 120_000;
    // Namespace deletion finishes asynchronously (the namespace controller empties it first).
    let left: string[] = [];
    for (;;) {
        const after = await clusterScoped(c);
        left = [...after.keys()].filter((key) => !before.has(key) && !KEPT_BY_HELM.test(key));
        if (left.length === 0 || Date.now() > deadline) break;
        await sleep(1000);
    }
    problems.push(...left.map((key) => `${key} is left after destroy`));
    const remaining = (await stack.exportStack()).deployment.resources ?? [];
    if (remaining.length > 0) problems.push(`the stack's state still holds ${remaining.length} resources`);
    const crds = [...(await clusterScoped(c)).keys()].filter((key) => KEPT_BY_HELM.test(key)).length;
    return {
        problems,
        detail: `namespace ${namespace} and every cluster-scoped object gone; ${crds} monitoring.coreos.com CRDs remain, as Helm keeps them`,
    };
}

async function removeKeptCrds(c: Clients): Promise<void> {
    const kept = [...(await clusterScoped(c)).keys()].filter((key) => KEPT_BY_HELM.test(key));
    for (const key of kept) {
        await c.objects.delete({
            apiVersion: "apiextensions.k8s.io/v1",
            kind: "CustomResourceDefinition",
            metadata: { name: key.split("/")[1] },
        });
    }
    for (let i = 0; i < 60 && [...(await clusterScoped(c)).keys()].some((key) => KEPT_BY_HELM.test(key)); i++) await sleep(1000);
}

async function devSteps(cluster: ClusterState, c: Clients, keep: boolean, configFile: string): Promise<void> {
    const before = await clusterScoped(c);
    const config = e2eConfig(configFile, cluster.chartRepositoryUrl);
    const stack = await e2eStack(cluster, { name: "dev", config });
    let upSeconds = 0;
    let pulumiReleaseSeconds = "";
    const ok = await step("1. dev: pulumi up deploys the stack", async () => {
        const since = new Date(Date.now() - 1000);
        const started = Date.now();
        const { releaseSeconds } = await up(stack);
        upSeconds = (Date.now() - started) / 1000;
        pulumiReleaseSeconds = releaseSeconds;
        const verdict = await deployedAsExpected(c, stack, since, expectationFor(config, DEV_NODES));
        return { ...verdict, detail: `pulumi up ${upSeconds.toFixed(1)} s (releases: ${releaseSeconds}); ${verdict.detail}` };
    });
    if (keep) {
        if (ok) printExports(cluster);
        return;
    }
    await step("2a. dev: a second pulumi up changes nothing", async () => {
        const revisions = async () => (await stackState(stack)).releases.map((r) => `${r.name}@${r.revision}`).sort();
        const before = await revisions();
        const { changes } = await up(stack);
        const after = await revisions();
        const problems = onlySame(changes).map(([op, n]) => `${n} resources to ${op}`);
        if (JSON.stringify(before) !== JSON.stringify(after)) problems.push(`Helm revisions moved: ${before} -> ${after}`);
        return { problems, detail: `${changes.same ?? 0} resources unchanged, Helm revisions ${after.join(" ")}` };
    });
    await step("2b. dev: preview --diff after loki.retention 7d -> 14d shows that change alone; up applies it", async () => {
        await stack.setConfig("gpu-observability:loki.retention", { value: "14d" }, true);
        let diff = "";
        const preview = await stack.preview({ diff: true, onOutput: (out) => (diff += out) });
        const problems: string[] = [];
        const changed = Object.entries(preview.changeSummary).filter(([op, n]) => op !== "same" && n > 0);
        if (JSON.stringify(changed) !== JSON.stringify([["update", 1]]))
            problems.push(`preview plans ${JSON.stringify(changed)}, expected one update`);
        // With --diff the engine prints only what changes, each resource with its URN.
        const changedUrns = [...diff.matchAll(/\[urn=(\S+)\]/g)]
            .map((match) => match[1])
            .filter((urn) => !urn.includes("::pulumi:pulumi:Stack::"));
        if (changedUrns.length !== 1 || !changedUrns[0].endsWith("Release::gpu-observability-loki"))
            problems.push(`the preview changes ${changedUrns.join(", ")}`);
        if (!/retention_period\s*:\s*"7d"\s*=>\s*"14d"/.test(diff)) problems.push("the diff does not show retention_period 7d => 14d");
        await up(stack);
        const lokiConfig = (await c.core.readNamespacedConfigMap({ name: "loki", namespace: "observability" })).data?.["config.yaml"] ?? "";
        const retention = /retention_period:\s*(\S+)/.exec(lokiConfig)?.[1];
        if (retention !== "14d") problems.push(`Loki's rendered config in the cluster has retention_period ${retention}`);
        return {
            problems,
            detail: `preview: ${changedUrns.map((urn) => urn.split("::").pop()).join(", ")} retention_period "7d" => "14d"; Loki's config in the cluster: retention_period ${retention}`,
        };
    });
    const switches: [string, Record<string, unknown>, Expectation][] = [
        [
            "logs.shipper alloy",
            { "gpu-observability:logs.shipper": "alloy" },
            { nodes: DEV_NODES, shipper: "alloy", dcgmExporter: true, gone: ["promtail"] },
        ],
        [
            "dcgmExporter.mode gpu-operator",
            { "gpu-observability:dcgmExporter.mode": "gpu-operator" },
            { nodes: DEV_NODES, shipper: "alloy", dcgmExporter: false, gone: ["dcgm-exporter"] },
        ],
        [
            "back to promtail and the stack's own DCGM exporter",
            {},
            { nodes: DEV_NODES, shipper: "promtail", dcgmExporter: true, gone: ["alloy"] },
        ],
    ];
    for (const [name, config, expect] of switches) {
        await step(`3. dev: switch ${name}`, async () => {
            if (Object.keys(config).length === 0) {
                await stack.removeConfig("gpu-observability:logs.shipper", true);
                await stack.removeConfig("gpu-observability:dcgmExporter.mode", true);
            }
            for (const [key, value] of Object.entries(config)) await stack.setConfig(key, { value: String(value) }, true);
            const since = new Date(Date.now() - 1000);
            const { changes } = await up(stack);
            const verdict = await deployedAsExpected(c, stack, since, expect);
            return { ...verdict, detail: `${JSON.stringify(changes)}; ${verdict.detail}` };
        });
    }
    const values = new Map<string, { chart: string; version: string; values: string }>();
    for (const release of (await stackState(stack)).releases) {
        values.set(release.name, {
            chart: release.chart,
            version: release.version,
            values: helm(cluster, ["get", "values", release.name, "-n", release.namespace, "-o", "yaml"]),
        });
    }
    await step("6. dev: pulumi destroy leaves nothing of the stack", () => destroyLeavesNothing(stack, c, before));
    // A measurement, not a verdict (timings belong to a benchmark, not to a test): the step fails only
    // if Helm cannot install the same values; the ratio is printed with the target.
    await step("perf: the same values installed with sequential helm install --wait, timed against pulumi up", async () => {
        // From where the first `pulumi up` started: no namespace and none of the CRDs Helm kept.
        await removeKeptCrds(c);
        const namespace = "observability";
        await c.core.createNamespace({
            body: { metadata: { name: namespace, labels: { "pod-security.kubernetes.io/enforce": "privileged" } } },
        });
        const dir = fs.mkdtempSync(path.join(cluster.dir, "helm-"));
        const started = Date.now();
        const helmReleaseSeconds: string[] = [];
        for (const [name, release] of values) {
            const releaseStarted = Date.now();
            const file = path.join(dir, `${name}.yaml`);
            fs.writeFileSync(file, release.values);
            helm(cluster, [
                "install",
                name,
                release.chart,
                "--repo",
                cluster.chartRepositoryUrl,
                "--version",
                release.version,
                "-n",
                namespace,
                "-f",
                file,
                "--wait",
                "--timeout",
                "10m",
            ]);
            helmReleaseSeconds.push(`${name} ${((Date.now() - releaseStarted) / 1000).toFixed(1)}`);
        }
        const helmSeconds = (Date.now() - started) / 1000;
        for (const name of [...values.keys()].reverse()) helm(cluster, ["uninstall", name, "-n", namespace, "--wait"]);
        await c.core.deleteNamespace({ name: namespace });
        const ratio = upSeconds / helmSeconds;
        return {
            problems: [],
            detail:
                `pulumi up ${upSeconds.toFixed(1)} s (releases, in parallel where independent: ${pulumiReleaseSeconds}), ` +
                `helm install --wait x${values.size} ${helmSeconds.toFixed(1)} s (${helmReleaseSeconds.join(", ")}), ratio ${ratio.toFixed(2)} (target <= 1.0: ${ratio <= 1 ? "met" : "missed"})`,
        };
    });
}

async function productionSteps(cluster: ClusterState, c: Clients): Promise<void> {
    await waitForNamespaceGone(c, "observability");
    for (const node of DEV_NODES) await c.core.deleteNode({ name: node.name });
    await addNodes(cluster, PRODUCTION_NODES);
    const before = await clusterScoped(c);
    const config = e2eConfig(path.join(PROJECT_DIR, "Pulumi.production.yaml"), cluster.chartRepositoryUrl, {
        // In-cluster MinIO in place of the cloud bucket; the production file's stand-in secret
        // (encrypted for another passphrase) replaced by a plain one.
        grafana: { database: { password: "e2e-stand-in" } },
    });
    config["gpu-observability:objectStorage"] = { provider: "minio" };
    const stack = await e2eStack(cluster, { name: "production", config });
    await step("4. production: pulumi up places every replica per its spread and anti-affinity rules, three zones", async () => {
        const since = new Date(Date.now() - 1000);
        const started = Date.now();
        await up(stack);
        const verdict = await deployedAsExpected(c, stack, since, { ...expectationFor(config, PRODUCTION_NODES), spread: true });
        return { ...verdict, detail: `pulumi up ${((Date.now() - started) / 1000).toFixed(1)} s; ${verdict.detail}` };
    });
    await step("6. production: pulumi destroy leaves nothing of the stack", () => destroyLeavesNothing(stack, c, before));
}

async function waitForNamespaceGone(c: Clients, name: string): Promise<void> {
    for (let i = 0; i < 120; i++) {
        const namespaces = await c.core.listNamespace();
        if (!namespaces.items.some((ns) => ns.metadata?.name === name)) return;
        await sleep(1000);
    }
}

function printExports(cluster: ClusterState): void {
    console.log("\nThe cluster and the dev stack stay up. In your shell:");
    const env = { ...e2eEnv(cluster), PATH: `${cluster.binDir}:$PATH` };
    for (const [key, value] of Object.entries(env)) console.log(`export ${key}="${value}"`);
    console.log(`cd ${path.join(cluster.dir, "projects", "dev")}   # then: kubectl get pods -A; pulumi stack output; pulumi stack export`);
    // No Node.js language host is built here: the program runs only inside npm run e2e.
    console.log("Change the stack with npm run e2e -- --keep --config-file <file>; stop it all with npm run e2e -- --down.");
}

async function main(): Promise<void> {
    const args = process.argv.slice(2);
    if (args.includes("--down")) {
        await stopCluster();
        console.log("e2e: cluster stopped");
        return;
    }
    const keep = args.includes("--keep");
    const fileIndex = args.indexOf("--config-file");
    const configFile = fileIndex >= 0 ? path.resolve(args[fileIndex + 1]) : path.join(PROJECT_DIR, "Pulumi.dev.yaml");
    if (!fs.existsSync(configFile)) throw new Error(`no config file ${configFile}`);

    const toolsStarted = Date.now();
    let built = 0;
    const tools = (builtTools = ensureTools((line) => {
        if (line.startsWith("built")) built++;
        console.log(`      ${line}`);
    }));
    console.log(
        `PASS  tools: ${tools.length} real programs ${built ? `(${built} modules built)` : "from the cache"} (${((Date.now() - toolsStarted) / 1000).toFixed(1)} s)`,
    );

    let cluster = keep ? runningCluster() : undefined;
    try {
        if (!cluster) {
            const started = Date.now();
            cluster = await startCluster(tools);
            await addNodes(cluster, DEV_NODES);
            installStandIns(cluster);
            console.log(
                `PASS  control plane on 127.0.0.1 with ${DEV_NODES.length} fake nodes (${((Date.now() - started) / 1000).toFixed(1)} s)`,
            );
        }
        liveCluster = cluster;
        const c = clients(cluster);
        await devSteps(cluster, c, keep, configFile);
        if (!keep) await productionSteps(cluster, c);
    } finally {
        // Nothing of a finished (or failed) run keeps running, unless asked to.
        if (!keep) await stopCluster();
    }
    const failed = results.filter((r) => !r.passed).length;
    console.log(`e2e: ${results.length - failed} passed, ${failed} failed`);
    if (failed > 0) process.exitCode = 1;
}

if (require.main === module) {
    main().catch((error) => {
        console.error(`e2e: ${(error as Error).stack ?? error}`);
        process.exit(1);
    });
}
