// The npm package as a user gets it: `npm pack`, installed from the tarball next to a program of the
// user's own (examples/my-cluster), type-checked with Pulumi's template settings and run under
// Pulumi's mocks with the SDK that program installed. Then plugin/, the same stack as a Pulumi
// component package for Python, Go, .NET, Java and YAML: served by Pulumi's own Node.js plugin host,
// asked for its schema the way `pulumi package add` asks, and constructed the way the engine does.
import { ChildProcess, execFile, spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { promisify } from "util";
import YAML from "yaml";
import type { MockRun, Registered } from "../examples/runWithMocks";
import { PROJECT_DIR, runUserProgram } from "./helpers/run";

const EXAMPLE_DIR = path.join(PROJECT_DIR, "examples", "my-cluster");
const PLUGIN_DIR = path.join(PROJECT_DIR, "plugin");
const COMPONENT_TOKEN = "gpu-observability:index:ObservabilityStack";
// Starting the host compiles plugin/ and the analyzer reads every declaration it imports: 20 s here.
const HOST_DEADLINE_MS = 2 * 60_000;

// What the issue promises a user can import from the package root.
const COMPONENTS = [
    "ObservabilityStack",
    "Alloy",
    "Loki",
    "Tempo",
    "Prometheus",
    "DcgmExporter",
    "Promtail",
    "OtelCollector",
    "Grafana",
    "Dashboards",
    "Alerting",
    "NetworkPolicies",
];
const VALUES = [...COMPONENTS, "stackConfigSchema", "validateStackConfig"];
const TYPES = [...COMPONENTS.map((component) => `${component}Args`), "StackConfig", "StackConfigInput"];

// The tarball holds the compiled library (dist/lib and what it imports, each .js with its .d.ts)
// and what npm always packs or `files` adds: no program, tests, scripts, examples or plugin.
const SHIPPED = /^dist\/(lib|components\/.+|config\/.+)\.(js|d\.ts)$|^(package\.json|README\.md|LICENSE|docs\/configuration\.md)$/;

// Compiled with the example, so a missing export fails the type check by its name.
const SURFACE_PROGRAM = `
import { ${VALUES.join(", ")} } from "gpu-observability";
import type { ${TYPES.join(", ")} } from "gpu-observability";
export const values = [${VALUES.join(", ")}];
export type Types = [${TYPES.join(", ")}];
`;

// What a Python, Go or YAML program asks of the plugin, in the call the engine makes to it
// (ComponentProvider.construct), with the example's config, name and provider.
const CROSS_LANGUAGE_PROGRAM = `
import * as path from "path";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ComponentProvider } from "@pulumi/pulumi/provider/experimental";
import { ObservabilityStack } from "./plugin";

const plugin = new ComponentProvider({
    name: "gpu-observability",
    dirname: path.join(__dirname, "..", "plugin"),
    components: [ObservabilityStack],
});
const cluster = new k8s.Provider("gpu-cluster", { context: "gpu-cluster" });
const construct = (name: string, config: unknown) =>
    plugin.construct(name, "${COMPONENT_TOKEN}", { config }, { providers: [cluster] });
const refusal = (config: unknown) =>
    construct("refused", config).then(() => "constructed", (error: Error) => error.message);

export const state = pulumi.output(construct("observability", JSON.stringify({ loki: { retention: "30d" } })).then((r) => r.state));
export const invalidConfig = refusal(JSON.stringify({ loki: { retention: "forever" } }));
export const notJson = refusal("loki: {retention: 30d}");
export const secretConfig = refusal(pulumi.secret("{}"));
`;

const exec = promisify(execFile);

interface Packed {
    filename: string;
    files: { path: string }[];
}

/** The parts of a Pulumi package schema these tests read. */
interface PackageSchema {
    resources: Record<string, { isComponent: boolean; inputProperties: Record<string, unknown>; properties: Record<string, unknown> }>;
}

// Each step after the install keeps its failure, so only the tests that need that step fail.
let work: string;
let packed: Packed;
let project: string;
let typeCheck: { code: number; output: string };
let exportedNames: { require: string[]; import: string[] } | Error;
let schema: PackageSchema | Error;
let example: MockRun | Error;
let crossLanguage: MockRun | Error;

beforeAll(async () => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), "gpu-observability-package-"));
    // prepack builds dist/ first, as it does for `npm publish`.
    const pack = await exec("npm", ["pack", "--json", "--pack-destination", work], { cwd: PROJECT_DIR, maxBuffer: 16 << 20 });
    [packed] = JSON.parse(pack.stdout);

    project = path.join(work, "my-cluster");
    copyProject(EXAMPLE_DIR, project);
    copyProject(PLUGIN_DIR, path.join(project, "plugin"));
    fs.copyFileSync(path.join(PROJECT_DIR, "examples", "runWithMocks.ts"), path.join(project, "runWithMocks.ts"));
    fs.writeFileSync(path.join(project, "surface.ts"), SURFACE_PROGRAM);
    fs.writeFileSync(path.join(project, "crossLanguage.ts"), CROSS_LANGUAGE_PROGRAM);
    fs.writeFileSync(
        path.join(project, "tsconfig.test.json"),
        JSON.stringify({ extends: "./tsconfig.json", files: ["index.ts", "runWithMocks.ts", "surface.ts", "crossLanguage.ts"] }),
    );
    dependOnTarball(project, path.join(work, packed.filename));
    // The cache first (CI's `npm ci` filled it with these versions); the registry for what is missing.
    // Install scripts only fetch provider binaries, which mocks do not need.
    await exec("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", "--ignore-scripts"], { cwd: project });

    // The type check reads all of @pulumi/kubernetes' declarations (no skipLibCheck, as in Pulumi's
    // template): the plugin host runs meanwhile.
    const consumer = fs.mkdtempSync(path.join(work, "consumer-"));
    const tsc = path.join(project, "node_modules", "typescript", "bin", "tsc");
    [typeCheck, schema, exportedNames] = await Promise.all([
        run(process.execPath, [tsc, "-p", "tsconfig.test.json", "--pretty", "false"], project),
        settle(servedSchema(path.join(project, "plugin"), consumer)),
        settle(exportedNamesOf(project)),
    ]);
    // tsc emits the JavaScript these run even when its check fails.
    [example, crossLanguage] = await Promise.all([settle(runWithMocks("bin/index.js")), settle(runWithMocks("bin/crossLanguage.js"))]);
    // 45 to 70 s on a developer machine: pack (the build) 10 s, install from the cache 17 s, type
    // check 25 s (the plugin host's 19 s alongside), the two runs 7 s. The margin is for cold caches.
}, 5 * 60_000);

afterAll(() => {
    if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe("the npm package", () => {
    it("packs compiled JavaScript with type declarations, the README and the configuration reference, and nothing else", () => {
        const files = packed.files.map((file) => file.path);
        expect(files).toEqual(
            expect.arrayContaining(["package.json", "README.md", "docs/configuration.md", "dist/lib.js", "dist/lib.d.ts"]),
        );
        expect(files.filter((file) => !SHIPPED.test(file))).toEqual([]);
        for (const js of files.filter((file) => file.endsWith(".js"))) expect(files).toContain(js.replace(/\.js$/, ".d.ts"));
    });

    it("exports every component, its args type and the config schema from the package root, to require and import alike", () => {
        expect(must(exportedNames)).toEqual({ require: expect.arrayContaining(VALUES), import: expect.arrayContaining(VALUES) });
        // The types: surface.ts imports each by name in the type check.
        expect(typeCheck.output).not.toMatch(/surface\.ts/);
    });

    it("type-checks a program of a user's own that imports it by name, with Pulumi's template settings", () => {
        expect(typeCheck).toEqual({ code: 0, output: "" });
    });

    it("runs that program under mocks: the seven Helm releases, each on the program's own provider", () => {
        expect(must(example).error).toBeUndefined();
        const releases = helmReleases(must(example));
        expect(releases.map((release) => release.inputs.name).sort()).toEqual([
            "dcgm-exporter",
            "grafana",
            "kube-prometheus-stack",
            "loki",
            "otel-collector",
            "promtail",
            "tempo",
        ]);
        for (const release of releases) expect(release.provider).toMatch(/::pulumi:providers:kubernetes::gpu-cluster::/);
    });

    it("applies the program's change to one subsystem: Loki keeps logs for 30 days", () => {
        const loki = helmReleases(must(example)).find((release) => release.inputs.name === "loki");
        // Loki's config file, which the stack writes whole (components/loki/config.ts).
        expect(YAML.parse((loki?.inputs.values as any).loki.config).limits_config.retention_period).toBe("30d");
        expect(must(example).outputs.lokiPushUrl).toBe("http://loki.observability.svc.cluster.local:3100/loki/api/v1/push");
    });
});

describe("the Pulumi component package (plugin/)", () => {
    it("is served by Pulumi's Node.js plugin host with one component, its stack config as plain JSON text", () => {
        expect(Object.keys(must(schema).resources)).toEqual([COMPONENT_TOKEN]);
        const component = must(schema).resources[COMPONENT_TOKEN];
        expect(component.isComponent).toBe(true);
        expect(component.inputProperties).toEqual({ config: expect.objectContaining({ type: "string", plain: true, optional: true }) });
    });

    it("gives other languages every output of the TypeScript ObservabilityStack", async () => {
        const typescript = await runUserProgram(({ ObservabilityStack }) => new ObservabilityStack("obs").outputs());
        expect(Object.keys(must(schema).resources[COMPONENT_TOKEN].properties).sort()).toEqual(Object.keys(typescript.outputs).sort());
    });

    it("builds from JSON config exactly the releases the TypeScript args build", () => {
        expect(must(crossLanguage).error).toBeUndefined();
        const comparable = (run: MockRun) =>
            helmReleases(run).map(({ type, name, provider, inputs }) => ({ type, name, provider, inputs }));
        expect(comparable(must(crossLanguage))).toEqual(comparable(must(example)));
    });

    it("returns the stack's outputs as the component's state", () => {
        const { outputs } = must(example);
        expect(must(crossLanguage).outputs.state).toMatchObject({
            namespace: "observability",
            grafanaUrl: outputs.grafanaUrl,
            otlpGrpcEndpoint: outputs.otlpGrpcEndpoint,
            lokiPushUrl: outputs.lokiPushUrl,
        });
    });

    it("refuses config the schema refuses, naming the key, before registering anything", () => {
        expect(must(crossLanguage).outputs.invalidConfig).toMatch(
            /invalid ObservabilityStack "refused" config \(1 problem\):\n {2}- loki\.retention: /,
        );
        expect(must(crossLanguage).resources.filter((resource) => resource.name.startsWith("refused"))).toEqual([]);
    });

    it("refuses config that is not JSON, and config that is an Output", () => {
        expect(must(crossLanguage).outputs.notJson).toMatch(/- config: is not JSON \(.+\); write the stack config as a JSON object/);
        expect(must(crossLanguage).outputs.secretConfig).toMatch(/- config: is an Output \(a secret, or computed from another resource\)/);
    });

    it("is pinned to the library of its own version, so a git tag serves what npm has under that version", () => {
        const library = readJson(path.join(PROJECT_DIR, "package.json"));
        const plugin = readJson(path.join(PLUGIN_DIR, "package.json"));
        expect({ version: plugin.version, library: plugin.dependencies["gpu-observability"] }).toEqual({
            version: library.version,
            library: library.version,
        });
    });
});

const readJson = (file: string) => JSON.parse(fs.readFileSync(file, "utf8"));

const settle = <T>(promise: Promise<T>): Promise<T | Error> => promise.catch((error: Error) => error);

/** A step's result, or the step's own failure in place of the test's. */
function must<T>(result: T | Error): T {
    if (result instanceof Error) throw result;
    return result;
}

const helmReleases = (run: MockRun): Registered[] => run.resources.filter((resource) => resource.type === "kubernetes:helm.sh/v3:Release");

/** Copies a project's own files (not what installing or compiling it left behind). */
function copyProject(from: string, to: string): void {
    fs.cpSync(from, to, { recursive: true, filter: (source) => !/[\\/](node_modules|bin)$/.test(source) });
}

/**
 * The example's package.json, with the plugin's dependencies (one install serves both; plugin/
 * finds them in the folder above) and gpu-observability taken from the tarball.
 */
function dependOnTarball(dir: string, tarball: string): void {
    const example = readJson(path.join(dir, "package.json"));
    const plugin = readJson(path.join(dir, "plugin", "package.json"));
    const manifest = {
        ...example,
        dependencies: { ...plugin.dependencies, ...example.dependencies, "gpu-observability": `file:${tarball}` },
        devDependencies: { ...plugin.devDependencies, ...example.devDependencies },
    };
    fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify(manifest, null, 4));
}

/** Runs a command to its end, keeping its exit code and output instead of throwing. */
function run(command: string, args: string[], cwd: string): Promise<{ code: number; output: string }> {
    return new Promise((resolve) => {
        execFile(command, args, { cwd, maxBuffer: 16 << 20 }, (error, stdout, stderr) =>
            resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, output: `${stdout}${stderr}` }),
        );
    });
}

/** The names the installed package exports to a CommonJS program and to an ES module. */
async function exportedNamesOf(dir: string): Promise<{ require: string[]; import: string[] }> {
    const names = async (args: string[]) => (await exec(process.execPath, args, { cwd: dir })).stdout.trim().split(",");
    return {
        require: await names(["-p", 'Object.keys(require("gpu-observability")).join(",")']),
        import: await names(["--input-type=module", "-e", 'import * as m from "gpu-observability"; console.log(Object.keys(m).join(","))']),
    };
}

async function runWithMocks(program: string): Promise<MockRun> {
    const result = path.join(project, `${path.basename(program)}.registered.json`);
    await exec(process.execPath, ["bin/runWithMocks.js", program, result], { cwd: project });
    return readJson(result);
}

/**
 * Starts the plugin the way the Pulumi CLI does for a source-based package (Node.js' run-plugin
 * on the plugin's folder, from a consumer's folder), and asks it for its schema over gRPC, as
 * `pulumi package add` and `pulumi package get-schema` do.
 */
async function servedSchema(pluginDir: string, consumerDir: string): Promise<PackageSchema> {
    const modules = path.join(pluginDir, "..", "node_modules");
    const host = spawn(process.execPath, [path.join(modules, "@pulumi/pulumi/cmd/run-plugin"), pluginDir], { cwd: consumerDir });
    try {
        const port = await firstLine(host);
        // The gRPC library and stubs the host itself serves with.
        const grpc = require(path.join(modules, "@grpc/grpc-js"));
        const { ResourceProviderClient } = require(path.join(modules, "@pulumi/pulumi/proto/provider_grpc_pb"));
        const { GetSchemaRequest } = require(path.join(modules, "@pulumi/pulumi/proto/provider_pb"));
        const client = new ResourceProviderClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
        const deadline = { deadline: Date.now() + HOST_DEADLINE_MS };
        const response: any = await new Promise((resolve, reject) =>
            client.getSchema(new GetSchemaRequest(), new grpc.Metadata(), deadline, (error: Error | null, answer: unknown) =>
                error ? reject(error) : resolve(answer),
            ),
        );
        client.close();
        return JSON.parse(response.getSchema());
    } finally {
        host.kill();
    }
}

/** The host prints its port on its first line of output, or exits with what went wrong. */
function firstLine(child: ChildProcess): Promise<string> {
    return new Promise((resolve, reject) => {
        setTimeout(() => reject(new Error(`the plugin host did not serve within ${HOST_DEADLINE_MS / 1000} s`)), HOST_DEADLINE_MS).unref();
        let stdout = "";
        let stderr = "";
        child.stdout?.on("data", (chunk) => {
            stdout += chunk;
            if (stdout.includes("\n")) resolve(stdout.split("\n")[0].trim());
        });
        child.stderr?.on("data", (chunk) => (stderr += chunk));
        child.on("exit", (code) => reject(new Error(`the plugin host exited (${code}) before serving:\n${stdout}${stderr}`)));
    });
}
