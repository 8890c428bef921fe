// The offline plan: runs the real program under Pulumi's mock engine with a stack's config, prints
// what would be installed and writes each Helm release's final values to plan/<stack>/.
//   npm run plan [-- --stack dev] [-- --config-file path/to/Pulumi.other.yaml]
import * as fs from "fs";
import * as path from "path";
import YAML from "yaml";
import { helmReleases, PROJECT_DIR, ProgramRun, RegisteredResource, readStackFile, runProgram } from "./lib/mockEngine";
import { maskSecrets } from "./lib/secrets";

/** What `npm run plan` computes for a stack, before anything is written. */
export interface StackPlan {
    stack: string;
    configFile: string;
    run: ProgramRun;
    releases: RegisteredResource[];
    /** Everything else the program applies directly (no Helm release). */
    objects: RegisteredResource[];
    /** The files of plan/<stack>/, by their path inside it ("/"-separated), with their content. */
    files: Map<string, string>;
}

export const stackConfigFile = (stack: string): string => path.join(PROJECT_DIR, `Pulumi.${stack}.yaml`);

export const planDir = (stack: string): string => path.join(PROJECT_DIR, "plan", stack);

export const releaseValuesFile = (release: RegisteredResource): string => `${release.inputs.name}.values.yaml`;

// A fresh copy of the program on every call, as `pulumi up` loads it in a new process: planning a
// second stack in the same process (the staleness check plans them all) must register everything
// again (and `npm run e2e` runs it for every engine operation). Only the project's own modules are
// dropped; the Pulumi SDK keeps its one instance.
export function loadProgram(): Record<string, unknown> {
    const ownModule = (id: string) => id.startsWith(PROJECT_DIR + path.sep) && !id.includes(`${path.sep}node_modules${path.sep}`);
    for (const id of Object.keys(require.cache).filter(ownModule)) delete require.cache[id];
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(path.join(PROJECT_DIR, "index"));
}

const toYaml = (value: unknown): string => YAML.stringify(maskSecrets(value), { sortMapEntries: true });

/**
 * Runs the program with a stack's config and returns the plan files, in memory. `load` must import
 * a fresh copy of the program on every call (the default `require` does so once per process; tests
 * pass one that uses jest.isolateModules).
 */
export async function planStack(
    stack: string,
    configFile = stackConfigFile(stack),
    load: () => Record<string, unknown> = loadProgram,
): Promise<StackPlan> {
    if (!fs.existsSync(configFile)) throw new Error(`no stack config file ${configFile}`);
    const run = await runProgram({ stack, config: readStackFile(configFile), load });
    if (run.error) throw run.error;
    const files = new Map<string, string>();
    const releases = helmReleases(run);
    for (const release of releases) files.set(releaseValuesFile(release), toYaml(release.inputs.values ?? {}));
    // Everything else the program applies directly (dashboards, alert rules, policies, Secrets with
    // their secret data masked), one file per object, so a review sees those changes too.
    const objects = run.resources.filter((r) => r.custom && r.type.startsWith("kubernetes:") && !r.type.startsWith("kubernetes:helm.sh"));
    for (const object of objects) {
        const kind = object.type.split(":").pop();
        const name = object.inputs.metadata?.name ?? object.name;
        files.set(`objects/${kind}.${name}.yaml`, toYaml(object.inputs));
    }
    return { stack, configFile, run, releases, objects, files };
}

/** Replaces plan/<stack>/ with the plan's files, so a release or object no longer planned disappears. */
export function writePlan(plan: StackPlan): string {
    const outDir = planDir(plan.stack);
    fs.rmSync(outDir, { recursive: true, force: true });
    fs.mkdirSync(path.join(outDir, "objects"), { recursive: true });
    for (const [file, content] of plan.files) fs.writeFileSync(path.join(outDir, file), content);
    return outDir;
}

function parseArgs(argv: string[]): { stack: string; configFile: string } {
    let stack = "dev";
    let configFile: string | undefined;
    for (let i = 0; i < argv.length; i++) {
        if (argv[i] === "--stack") stack = argv[++i];
        else if (argv[i] === "--config-file") configFile = argv[++i];
        else throw new Error(`unknown argument ${argv[i]}; use --stack <name> or --config-file <file>`);
    }
    return { stack, configFile: configFile ?? stackConfigFile(stack) };
}

function tree(resources: RegisteredResource[]): string[] {
    const children = (parent: string) => resources.filter((r) => r.parent === parent && !r.type.startsWith("pulumi:providers:"));
    const label = (r: RegisteredResource) => {
        if (r.type === "kubernetes:helm.sh/v3:Release") {
            const i = r.inputs;
            return `Helm release ${i.name}: chart ${i.chart} ${i.version} from ${i.repositoryOpts?.repo} in namespace ${i.namespace}`;
        }
        const kind = r.type.split(":").pop();
        return `${kind} ${r.name}`;
    };
    const lines: string[] = [];
    const walk = (r: RegisteredResource, prefix: string, last: boolean, root: boolean) => {
        lines.push(root ? label(r) : `${prefix}${last ? "└─ " : "├─ "}${label(r)}`);
        const kids = children(r.urn);
        kids.forEach((kid, i) => walk(kid, root ? "" : `${prefix}${last ? "   " : "│  "}`, i === kids.length - 1, false));
    };
    for (const root of children("")) walk(root, "", true, true);
    return lines;
}

async function main() {
    const { stack, configFile } = parseArgs(process.argv.slice(2));
    const started = Date.now();
    const plan = await planStack(stack, configFile);
    const outDir = writePlan(plan);
    const { run, releases, objects } = plan;
    console.log(`Offline plan of stack "${stack}" (${path.relative(PROJECT_DIR, configFile)}), no cluster contacted:\n`);
    console.log(tree(run.resources).join("\n"));
    console.log(`\n${run.resources.length} resources, ${releases.length} Helm releases. Stack outputs:`);
    for (const [name, value] of Object.entries(run.outputs)) {
        if (value === undefined) continue;
        console.log(`  ${name}: ${run.secretOutputs.includes(name) ? "[secret]" : String(value)}`);
    }
    console.log(
        `\nValues written to ${path.relative(PROJECT_DIR, outDir)}/<release>.values.yaml, the other ${objects.length} objects to objects/ (${Date.now() - started} ms).`,
    );
}

// Run as a script (npm run plan); imported, it only lends planStack to the render and the staleness check.
if (require.main === module) {
    main().catch((error: unknown) => {
        console.error(error instanceof Error ? error.message : String(error));
        process.exit(1);
    });
}
