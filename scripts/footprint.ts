// What the stack costs a cluster, before `pulumi up`: runs the program offline as `npm run plan`
// does, reads every Helm release's workloads off its final values, and sums CPU and memory
// requests and limits and storage per subsystem, DaemonSets once per node they run on.
//   npm run footprint [-- --stack dev | --config-file F] [-- --nodes N --gpu-nodes G] [-- --containers] [-- --json]
// For the dev profile it then checks the dev targets, benchmark-style. Exit 1 when a container
// lacks a figure or a target is missed.
import * as path from "path";
import {
    devTargets,
    footprintOf,
    footprintTable,
    formatBytes,
    formatCpu,
    Footprint,
    StackInventory,
    stackInventory,
    TargetCheck,
} from "./lib/footprint";
import { PROJECT_DIR, projectName, readStackFile } from "./lib/mockEngine";
import { planStack, stackConfigFile } from "./plan";

interface Options {
    stack: string;
    configFile: string;
    nodes: number;
    gpuNodes: number;
    json: boolean;
    containers: boolean;
}

const count = (flag: string, text: string | undefined): number => {
    const value = Number(text);
    if (!Number.isInteger(value) || value < 0) throw new Error(`${flag} takes a whole number, not ${text}`);
    return value;
};

export function parseArgs(argv: string[]): Options {
    // The dev targets' cluster: one node, and it has a GPU.
    const options: Options = { stack: "dev", configFile: "", nodes: 1, gpuNodes: 1, json: false, containers: false };
    let configFile: string | undefined;
    let stackSet = false;
    let gpuNodesSet = false;
    for (let i = 0; i < argv.length; i++) {
        const arg = argv[i];
        if (arg === "--stack") {
            options.stack = argv[++i];
            stackSet = true;
        } else if (arg === "--config-file") configFile = path.resolve(argv[++i]);
        else if (arg === "--nodes") options.nodes = count(arg, argv[++i]);
        else if (arg === "--gpu-nodes") {
            options.gpuNodes = count(arg, argv[++i]);
            gpuNodesSet = true;
        } else if (arg === "--json") options.json = true;
        else if (arg === "--containers") options.containers = true;
        else
            throw new Error(
                `unknown argument ${arg}; use --stack <name>, --config-file <file>, --nodes N, --gpu-nodes G, --containers, --json`,
            );
    }
    if (options.nodes < 1) throw new Error("--nodes must be at least 1");
    // More nodes than the one by default, and no word on GPUs: keep the one GPU node.
    if (!gpuNodesSet) options.gpuNodes = Math.min(options.gpuNodes, options.nodes);
    if (options.gpuNodes > options.nodes)
        throw new Error(`--gpu-nodes ${options.gpuNodes} is more than --nodes ${options.nodes}; GPU nodes are counted among the nodes`);
    options.configFile = configFile ?? stackConfigFile(options.stack);
    // A stack file of another name: the stack is the one it names (Pulumi.<stack>.yaml).
    if (configFile && !stackSet) options.stack = /^Pulumi\.(.+)\.ya?ml$/.exec(path.basename(configFile))?.[1] ?? options.stack;
    return options;
}

function containerLines(footprint: Footprint): string[] {
    const lines: string[] = [];
    const describe = (m: Footprint["workloads"][number], counted: boolean) => {
        const { workload } = m;
        const where =
            "daemonSet" in workload.placement
                ? `one per ${workload.placement.daemonSet === "gpu-nodes" ? "GPU node" : "node"}`
                : "replicas";
        const by = workload.createdBy ? `, created by prometheus-operator from ${workload.createdBy}` : "";
        lines.push(
            `${workload.release}: ${workload.kind} ${workload.name}, ${counted ? `${m.pods} pod(s)` : "not counted"} (${where}${by}); per pod ${formatCpu(m.perPod.cpuRequest)}/${formatBytes(m.perPod.memoryRequest)} requested`,
        );
        for (const c of workload.containers) {
            const r = c.resources;
            const kind = c.init ? (c.sidecar ? "sidecar init" : "init") : "container";
            lines.push(
                `    ${kind} ${c.name}: requests ${r?.requests?.cpu ?? "-"}/${r?.requests?.memory ?? "-"}, limits ${r?.limits?.cpu ?? "-"}/${r?.limits?.memory ?? "-"}  <- ${c.from}`,
            );
        }
        for (const v of workload.volumes) lines.push(`    volume ${v.claim}: ${v.size}${v.perPod ? " per pod" : ", shared"}`);
    };
    for (const m of footprint.workloads) describe(m, true);
    for (const m of footprint.jobs) describe(m, false);
    return lines;
}

function targetLines(checks: TargetCheck[]): string[] {
    const width = Math.max(...checks.map((c) => c.what.length));
    return checks.map(
        (c) =>
            `${c.pass ? "PASS" : "FAIL"}  ${c.what.padEnd(width)}  ${formatCpu(c.cpu).padStart(6)} CPU (<= ${formatCpu(c.cpuBound)})  ${formatBytes(c.memory).padStart(7)} (<= ${formatBytes(c.memoryBound)})`,
    );
}

function report(options: Options, profile: string, inventory: StackInventory): { text: string[]; ok: boolean; json: unknown } {
    const footprint = footprintOf(inventory, { nodes: options.nodes, gpuNodes: options.gpuNodes });
    const checks = profile === "dev" ? devTargets(inventory) : [];
    const ok = inventory.problems.length === 0 && checks.every((c) => c.pass);
    const relative = path.relative(PROJECT_DIR, options.configFile);
    const file = relative.startsWith("..") ? options.configFile : relative;
    const text = [
        `Footprint of stack "${options.stack}" (${file}, profile ${profile}) on ${options.nodes} node(s), ${options.gpuNodes} with GPUs,`,
        "from the values `pulumi up` would apply; DaemonSets count once per node they run on:",
        "",
        ...footprintTable(footprint),
    ];
    if (footprint.jobs.length > 0) {
        text.push("", `Not counted, one-off Jobs: ${footprint.jobs.map((j) => `${j.workload.release}/${j.workload.name}`).join(", ")}.`);
    }
    if (options.containers) text.push("", ...containerLines(footprint));
    if (checks.length > 0) text.push("", "Dev profile targets (requests):", ...targetLines(checks));
    if (inventory.problems.length > 0) text.push("", "Containers the footprint cannot size:", ...inventory.problems.map((p) => `  ${p}`));
    const json = {
        stack: options.stack,
        configFile: file,
        profile,
        shape: footprint.shape,
        subsystems: footprint.subsystems,
        total: footprint.total,
        workloads: footprint.workloads.map((w) => ({ ...w.workload, pods: w.pods, perPod: w.perPod, total: w.total })),
        jobs: footprint.jobs.map((j) => j.workload),
        targets: checks,
        problems: inventory.problems,
    };
    return { text, ok, json };
}

async function main() {
    const options = parseArgs(process.argv.slice(2));
    const profile = readStackFile(options.configFile).config[`${projectName()}:profile`] ?? "dev";
    const plan = await planStack(options.stack, options.configFile);
    const { text, ok, json } = report(options, profile, stackInventory(plan.run));
    console.log(options.json ? JSON.stringify(json, null, 2) : text.join("\n"));
    if (!ok) process.exitCode = 1;
}

if (require.main === module) {
    main().catch((error: unknown) => {
        console.error(error instanceof Error ? error.message : String(error));
        process.exit(1);
    });
}
