import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import YAML from "yaml";

/** One resource the program registered, as the engine would have received it. */
export interface RegisteredResource {
    type: string;
    name: string;
    urn: string;
    parent: string;
    dependencies: string[];
    provider: string;
    custom: boolean;
    // Helm values and Kubernetes objects as the program wrote them: untyped by nature.
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    inputs: Record<string, any>;
}

export interface ProgramRun {
    resources: RegisteredResource[];
    /** Stack outputs, resolved; secret ones are listed in `secretOutputs`. */
    outputs: Record<string, unknown>;
    secretOutputs: string[];
    /** What the program threw, if it did (invalid config, for one). */
    error?: Error;
}

/** A stack's config as Pulumi hands it to a program: `project:key` -> text (objects as JSON). */
export interface StackConfigFile {
    config: Record<string, string>;
    secretKeys: string[];
}

export const PROJECT_DIR = path.resolve(__dirname, "../..");

export function projectName(projectDir = PROJECT_DIR): string {
    return YAML.parse(fs.readFileSync(path.join(projectDir, "Pulumi.yaml"), "utf8")).name;
}

/** Reads Pulumi.<stack>.yaml (or any stack file) into the flat config map Pulumi gives a program. */
export function readStackFile(file: string, project = projectName()): StackConfigFile {
    const document = YAML.parse(fs.readFileSync(file, "utf8")) ?? {};
    return flattenConfig(document.config ?? {}, project);
}

/** `{ namespace: "x", loki: { retention: "3d" } }` -> `{ "project:namespace": "x", "project:loki": "{...}" }`. */
export function flattenConfig(values: Record<string, unknown>, project = projectName()): StackConfigFile {
    const config: Record<string, string> = {};
    const secretKeys: string[] = [];
    for (const [key, value] of Object.entries(values)) {
        const fullKey = key.includes(":") ? key : `${project}:${key}`;
        if (containsSecure(value)) secretKeys.push(fullKey);
        const plain = stripSecure(value);
        config[fullKey] = typeof plain === "string" ? plain : JSON.stringify(plain);
    }
    return { config, secretKeys };
}

const isSecure = (v: unknown): v is { secure: string } =>
    typeof v === "object" && v !== null && Object.keys(v).length === 1 && "secure" in v;
const containsSecure = (v: unknown): boolean =>
    isSecure(v) || (typeof v === "object" && v !== null && Object.values(v).some(containsSecure));
// Offline there is no key to decrypt `secure:` values with: a placeholder stands in, still a secret.
const stripSecure = (v: unknown): unknown =>
    isSecure(v)
        ? "offline-plan-placeholder-secret"
        : Array.isArray(v)
          ? v.map(stripSecure)
          : typeof v === "object" && v !== null
            ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, stripSecure(x)]))
            : v;

/**
 * Records each registration's parent, dependencies and URN, which the public `Mocks` callback does
 * not get. The SDK's mock monitor calls `newResource` synchronously at the start of its
 * registerResource, so the last record is always the current request's.
 */
/** The parts of the SDK's (internal) mock monitor and its gRPC requests that are used here. */
interface RegisterResourceRequest {
    getParent(): string;
    getType(): string;
    getName(): string;
    getDependenciesList(): string[];
}
type Callback = (err: unknown, response: unknown) => void;
interface MockMonitor {
    registerResource(req: RegisterResourceRequest, callback: Callback): Promise<void>;
    newUrn(parent: string, type: string, name: string): string;
}

function recordRegistrations(records: RegisteredResource[]): void {
    const monitor = (pulumi.runtime as unknown as { getMonitor(): MockMonitor }).getMonitor();
    const register = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req: RegisterResourceRequest, callback: Callback) => {
        const done = register(req, callback);
        const record = records[records.length - 1];
        record.parent = req.getParent();
        record.dependencies = req.getDependenciesList();
        record.urn = monitor.newUrn(req.getParent(), req.getType(), req.getName());
        return done;
    };
}

/**
 * Runs a Pulumi program under the SDK's mock engine with the given config and returns everything it
 * registered. `load` imports the program (its module exports become the stack outputs); it must
 * load a fresh copy each time (jest.isolateModules in tests).
 */
export async function runProgram(options: {
    stack: string;
    config: StackConfigFile;
    load: () => Record<string, unknown>;
    project?: string;
}): Promise<ProgramRun> {
    const project = options.project ?? projectName();
    const resources: RegisteredResource[] = [];
    // A fresh global store per run: config, mocks and registrations of an earlier run must not leak.
    delete (global as { globalStore?: unknown }).globalStore;
    pulumi.runtime.setAllConfig(options.config.config, options.config.secretKeys);
    const mocks: pulumi.runtime.Mocks = {
        newResource(args) {
            resources.push({
                type: args.type,
                name: args.name,
                urn: "",
                parent: "",
                dependencies: [],
                provider: args.provider ?? "",
                custom: args.custom ?? true,
                inputs: args.inputs,
            });
            const state = { ...args.inputs };
            if (args.type === "random:index/randomPassword:RandomPassword") state.result = "offline-plan-generated-password";
            return { id: `${args.name}-id`, state };
        },
        call: (args) => args.inputs,
    };
    await pulumi.runtime.setMocks(mocks, project, options.stack, false);
    recordRegistrations(resources);

    let exported: Record<string, unknown>;
    try {
        exported = options.load();
    } catch (error) {
        await waitForRPCs();
        return { resources, outputs: {}, secretOutputs: [], error: error as Error };
    }
    const outputs: Record<string, unknown> = {};
    const secretOutputs: string[] = [];
    for (const [name, value] of Object.entries(exported)) {
        if (!pulumi.Output.isInstance(value)) {
            outputs[name] = value;
            continue;
        }
        outputs[name] = await new Promise((resolve) => value.apply(resolve));
        // Output.isSecret is the SDK's own promise of whether the value is a secret (not in its typings).
        if (await (value as unknown as { isSecret: Promise<boolean> }).isSecret) secretOutputs.push(name);
    }
    await waitForRPCs();
    return { resources, outputs, secretOutputs };
}

// Registrations that no output depends on still settle before a run counts as done.
const waitForRPCs = () => (pulumi.runtime as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();

/** The Helm releases of a run, by release name. */
export function helmReleases(run: ProgramRun): RegisteredResource[] {
    return run.resources.filter((r) => r.type === "kubernetes:helm.sh/v3:Release");
}
