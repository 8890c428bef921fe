// The offline plan: runs the real program under Pulumi's mock engine with a stack's config, prints
// what would be installed and writes each Helm release's final values to plan/<stack>/.
//   npm run plan [-- --stack dev] [-- --config-file path/to/Pulumi.other.yaml]
import * as fs from "fs";
import * as path from "path";
import YAML from "yaml";
import { helmReleases, PROJECT_DIR, RegisteredResource, readStackFile, runProgram } from "./lib/mockEngine";
import { maskSecrets } from "./lib/secrets";

function parseArgs(argv: string[]): { stack: string; configFile: string } {
    let stack = "dev";
    let configFile: string | undefined;
    for (let i = 0; i < argv.length; i++) {
        if (argv[i] === "--stack") stack = argv[++i];
        else if (argv[i] === "--config-file") configFile = argv[++i];
        else throw new Error(`unknown argument ${argv[i]}; use --stack <name> or --config-file <file>`);
    }
    return { stack, configFile: configFile ?? path.join(PROJECT_DIR, `Pulumi.${stack}.yaml`) };
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
    if (!fs.existsSync(configFile)) throw new Error(`no stack config file ${configFile}`);
    const started = Date.now();
    const run = await runProgram({
        stack,
        config: readStackFile(configFile),
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        load: () => require(path.join(PROJECT_DIR, "index")),
    });
    if (run.error) throw run.error;
    const outDir = path.join(PROJECT_DIR, "plan", stack);
    fs.rmSync(outDir, { recursive: true, force: true });
    fs.mkdirSync(outDir, { recursive: true });
    const releases = helmReleases(run);
    for (const release of releases) {
        const file = path.join(outDir, `${release.inputs.name}.values.yaml`);
        fs.writeFileSync(file, YAML.stringify(maskSecrets(release.inputs.values ?? {}), { sortMapEntries: true }));
    }
    // Everything else the program applies directly (dashboards, alert rules, policies, Secrets with
    // their secret data masked), one file per object, so a review sees those changes too.
    const objects = run.resources.filter((r) => r.custom && r.type.startsWith("kubernetes:") && !r.type.startsWith("kubernetes:helm.sh"));
    fs.mkdirSync(path.join(outDir, "objects"), { recursive: true });
    for (const object of objects) {
        const kind = object.type.split(":").pop();
        const name = object.inputs.metadata?.name ?? object.name;
        fs.writeFileSync(path.join(outDir, "objects", `${kind}.${name}.yaml`), YAML.stringify(maskSecrets(object.inputs), { sortMapEntries: true }));
    }
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

main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(1);
});
