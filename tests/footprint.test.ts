import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import YAML from "yaml";
import { devTargets, footprintOf, podCount, podFigures, StackInventory, stackInventory } from "../scripts/lib/footprint";
import { readStackFile } from "../scripts/lib/mockEngine";
import { Container, Workload } from "../scripts/lib/workloads";
import { parseArgs } from "../scripts/footprint";
import { RENDERED_CONFIGS, RENDERED_WORKLOADS } from "./fixtures/renderedWorkloads";
import { PROJECT_DIR, runIndex, stackConfig } from "./helpers/run";

const MIB = 2 ** 20;
const inventoryOf = async (values: Record<string, unknown>): Promise<StackInventory> => stackInventory(await runIndex(stackConfig(values)));
// Each example config runs once for all the tests that read it.
const runs = new Map<string, Promise<StackInventory>>();
const inventoryOfFile = (file: string): Promise<StackInventory> => {
    if (!runs.has(file)) runs.set(file, runIndex(readStackFile(path.join(PROJECT_DIR, file))).then(stackInventory));
    return runs.get(file)!;
};

// The inventory's view of a workload in the fixture's terms, names sorted: the charts' container
// order is theirs to change.
function asRendered(workload: Workload) {
    const names = (list: Container[]) => list.map((c) => c.name).sort();
    return {
        kind: workload.kind,
        name: workload.name,
        placement: workload.placement,
        containers: names(workload.containers.filter((c) => !c.init)),
        initContainers: names(workload.containers.filter((c) => c.init)),
        volumes: [...workload.volumes].sort((a, b) => a.claim.localeCompare(b.claim)),
        ...(workload.createdBy ? { createdBy: workload.createdBy } : {}),
    };
}

describe.each(Object.entries(RENDERED_CONFIGS) as [keyof typeof RENDERED_CONFIGS, string][])("the %s config (%s)", (config, file) => {
    let inventory: StackInventory;
    beforeAll(async () => {
        inventory = await inventoryOfFile(file);
    });

    it("names exactly the workloads, containers, replicas and volumes the real charts render", () => {
        const releases = new Set(inventory.workloads.map((w) => w.release));
        const byRelease = (release: string) =>
            inventory.workloads
                .filter((w) => w.release === release)
                .map(asRendered)
                .sort((a, b) => a.name.localeCompare(b.name));
        const rendered = Object.fromEntries(
            Object.entries(RENDERED_WORKLOADS[config]).map(([release, workloads]) => [
                release,
                workloads
                    .map((w) => ({
                        ...w,
                        containers: [...w.containers].sort(),
                        initContainers: [...w.initContainers].sort(),
                        volumes: [...w.volumes].sort((a, b) => a.claim.localeCompare(b.claim)),
                    }))
                    .sort((a, b) => a.name.localeCompare(b.name)),
            ]),
        );
        expect(Object.fromEntries([...releases].sort().map((release) => [release, byRelease(release)]))).toEqual(rendered);
    });

    it("finds CPU and memory requests and limits on every container, init containers and sidecars included", () => {
        expect(inventory.problems).toEqual([]);
    });
});

describe("the dev targets, in requests", () => {
    let checks: ReturnType<typeof devTargets>;
    beforeAll(async () => {
        checks = devTargets(await inventoryOfFile(RENDERED_CONFIGS.dev));
    });

    it("fit the whole stack in 2 CPU and 4 GiB on a one-node cluster whose node has a GPU", () => {
        const [whole] = checks;
        expect(whole.cpu).toBeLessThanOrEqual(2);
        expect(whole.memory).toBeLessThanOrEqual(4096 * MIB);
    });

    it("add at most 150m CPU and 256 MiB for each further CPU-only node", () => {
        const [, cpuNode] = checks;
        expect(cpuNode.cpu).toBeLessThanOrEqual(0.15 + 1e-9);
        expect(cpuNode.memory).toBeLessThanOrEqual(256 * MIB);
    });

    it("add at most 300m CPU and 640 MiB for each further GPU node", () => {
        const [, , gpuNode] = checks;
        expect(gpuNode.cpu).toBeLessThanOrEqual(0.3 + 1e-9);
        expect(gpuNode.memory).toBeLessThanOrEqual(640 * MIB);
        expect(checks.every((c) => c.pass)).toBe(true);
    });

    it("hold with Alloy and its config reloader as the log shipper too", async () => {
        const alloy = devTargets(await inventoryOf({ logs: { shipper: "alloy" } }));
        expect(alloy.filter((c) => !c.pass)).toEqual([]);
    });
});

describe("a subsystem's footprint", () => {
    const shipperSizes = { requests: { cpu: "40m", memory: "50Mi" }, limits: { cpu: "120m", memory: "100Mi" } };

    it("counts Promtail once per node: 7 nodes x 40m/50Mi", async () => {
        const inventory = await inventoryOf({ logs: { resources: shipperSizes } });
        const logs = footprintOf(inventory, { nodes: 7, gpuNodes: 2 }).subsystems.find((s) => s.subsystem === "logs");
        expect(logs).toEqual({
            subsystem: "logs",
            pods: 7,
            figures: { cpuRequest: 0.28, memoryRequest: 7 * 50 * MIB, cpuLimit: 0.84, memoryLimit: 7 * 100 * MIB, storage: 0 },
        });
    });

    it("counts Alloy's config reloader beside it on every node: 7 x (40m + 10m) / 7 x (50Mi + 32Mi)", async () => {
        const inventory = await inventoryOf({ logs: { shipper: "alloy", resources: shipperSizes } });
        const logs = footprintOf(inventory, { nodes: 7, gpuNodes: 2 }).subsystems.find((s) => s.subsystem === "logs");
        expect(logs?.pods).toBe(7);
        expect(logs?.figures.cpuRequest).toBeCloseTo(7 * 0.05, 9);
        expect(logs?.figures.memoryRequest).toBe(7 * 82 * MIB);
        expect(logs?.figures.cpuLimit).toBeCloseTo(7 * (0.12 + 0.05), 9);
        expect(logs?.figures.memoryLimit).toBe(7 * 164 * MIB);
    });

    it("counts the DCGM exporter on GPU nodes only", async () => {
        const inventory = await inventoryOfFile(RENDERED_CONFIGS.dev);
        const pods = (gpuNodes: number) =>
            footprintOf(inventory, { nodes: 10, gpuNodes }).subsystems.find((s) => s.subsystem === "dcgmExporter")?.pods;
        expect([pods(0), pods(4)]).toEqual([0, 4]);
    });
});

describe("containers the footprint cannot size", () => {
    // A container added through extraValues without resources, and Loki's chunk cache turned on
    // and left to the chart.
    let inventory: StackInventory;
    beforeAll(async () => {
        inventory = await inventoryOf({
            logs: { extraValues: { extraContainers: { debug: { image: "busybox" } } } },
            loki: { extraValues: { memcached: { enabled: true }, chunksCache: { enabled: true } } },
        });
    });

    it("are reported with the values path their resources were looked for at", () => {
        expect(inventory.problems).toContain(
            "release promtail: DaemonSet promtail, container debug: no requests.cpu, requests.memory, limits.cpu, limits.memory (resources at extraContainers.debug.resources)",
        );
    });

    it("include a Loki chunk cache left to the chart's sizing: 8 GiB x 1.2 requested, no CPU limit", () => {
        const cache = inventory.workloads.find((w) => w.name === "loki-chunks-cache");
        expect(cache?.containers.find((c) => c.name === "memcached")?.resources).toEqual({
            requests: { cpu: "500m", memory: "9830Mi" },
            limits: { memory: "9830Mi" },
        });
        expect(inventory.problems).toContainEqual(
            expect.stringMatching(/^release loki: StatefulSet loki-chunks-cache, container memcached: no limits\.cpu/),
        );
    });

    it("include a workload registered outside any Helm release", () => {
        const run = {
            resources: [
                {
                    type: "kubernetes:apps/v1:Deployment",
                    name: "sidecar-injector",
                    urn: "",
                    parent: "",
                    dependencies: [],
                    provider: "",
                    custom: true,
                    inputs: {},
                },
            ],
            outputs: {},
            secretOutputs: [],
        };
        expect(stackInventory(run).problems).toEqual([
            "Deployment sidecar-injector is registered outside any Helm release; the footprint does not count it",
        ]);
    });
});

describe("a pod's requests, as the scheduler counts them", () => {
    const sized = (name: string, cpu: string, memory: string, init = false, sidecar = false): Container => ({
        name,
        init,
        sidecar,
        from: "test",
        resources: { requests: { cpu, memory }, limits: { cpu, memory } },
    });

    it.each([
        ["its containers together", [sized("a", "100m", "64Mi"), sized("b", "50m", "32Mi")], 0.15, 96],
        ["an init container larger than them instead", [sized("init", "500m", "16Mi", true), sized("a", "100m", "64Mi")], 0.5, 64],
        [
            "a native sidecar beside both",
            [sized("sc", "10m", "8Mi", true, true), sized("init", "500m", "16Mi", true), sized("a", "100m", "64Mi")],
            0.51,
            72,
        ],
    ])("are %s", (_what, containers, cpu, memoryMi) => {
        const figures = podFigures(containers);
        expect(figures.cpuRequest).toBeCloseTo(cpu, 9);
        expect(figures.memoryRequest).toBe(memoryMi * MIB);
    });

    it("are counted per replica, per node or per GPU node", () => {
        const workload = (placement: Workload["placement"]): Workload => ({
            kind: "Deployment",
            name: "w",
            placement,
            containers: [],
            volumes: [],
        });
        const shape = { nodes: 10, gpuNodes: 4 };
        expect(
            [workload({ replicas: 3 }), workload({ daemonSet: "all-nodes" }), workload({ daemonSet: "gpu-nodes" })].map((w) =>
                podCount(w, shape),
            ),
        ).toEqual([3, 10, 4]);
    });
});

describe("npm run footprint's arguments", () => {
    it("default to the dev targets' cluster: one node, and it has a GPU", () => {
        expect(parseArgs([])).toMatchObject({ stack: "dev", nodes: 1, gpuNodes: 1 });
    });

    it("refuse more GPU nodes than nodes", () => {
        expect(() => parseArgs(["--nodes", "2", "--gpu-nodes", "3"])).toThrow(
            "--gpu-nodes 3 is more than --nodes 2; GPU nodes are counted among the nodes",
        );
    });
});

describe("npm run footprint, as a user runs it", () => {
    const TSX = path.join(PROJECT_DIR, "node_modules/.bin/tsx");
    const footprint = (...args: string[]) => spawnSync(TSX, ["scripts/footprint.ts", ...args], { cwd: PROJECT_DIR, encoding: "utf8" });

    it("prints each subsystem and the total, DaemonSets counted per node, and the dev targets, all passing", () => {
        const result = footprint("--stack", "dev", "--nodes", "3", "--gpu-nodes", "2");
        expect(result.status).toBe(0);
        const rows = result.stdout.split("\n");
        const row = (name: string) => rows.find((line) => line.startsWith(`${name} `))?.split(/\s+/);
        for (const subsystem of ["prometheus", "dcgmExporter", "loki", "tempo", "logs", "otelCollector", "grafana", "total"]) {
            expect(row(subsystem)).toHaveLength(7);
        }
        expect(row("logs")?.[1]).toBe("3");
        expect(row("dcgmExporter")?.[1]).toBe("2");
        expect(rows.filter((line) => line.startsWith("PASS "))).toHaveLength(3);
    });

    it("fails, naming the missed target, when the dev profile asks for more than 2 CPU", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "footprint-"));
        const file = path.join(dir, "Pulumi.big.yaml");
        fs.writeFileSync(
            file,
            YAML.stringify({ config: { "gpu-observability:loki": { resources: { requests: { cpu: "2" }, limits: { cpu: "4" } } } } }),
        );
        const result = footprint("--config-file", file);
        expect(result.status).toBe(1);
        expect(result.stdout).toMatch(/^FAIL {2}whole stack, one node with a GPU/m);
    });
});
