// Renders each planned Helm release with `helm template` into rendered/<stack>/<release>.yaml, for
// teams that review manifests. It plans first (the code `npm run plan` runs, writing plan/<stack>/),
// so it never renders stale values.
//   npm run render [-- --stack dev] [-- --config-file path/to/Pulumi.other.yaml] [-- --charts <dir>]
// Charts come from their repositories, or with --charts from a local folder: <dir>/<chart>-<version>/,
// <dir>/<chart>-<version>.tgz (what `helm pull` saves) or <dir>/<chart>/ (what `helm pull --untar`
// extracts) holding the planned version. Helm: $HELM_BIN, else `helm` on PATH.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import YAML from "yaml";
import { PROJECT_DIR, RegisteredResource } from "./lib/mockEngine";
import { planDir, planStack, releaseValuesFile, stackConfigFile, writePlan } from "./plan";

const renderedDir = (stack: string): string => path.join(PROJECT_DIR, "rendered", stack);

function parseArgs(argv: string[]): { stack: string; configFile: string; chartsDir?: string } {
    let stack = "dev";
    let configFile: string | undefined;
    let chartsDir: string | undefined;
    for (let i = 0; i < argv.length; i++) {
        if (argv[i] === "--stack") stack = argv[++i];
        else if (argv[i] === "--config-file") configFile = argv[++i];
        else if (argv[i] === "--charts") chartsDir = path.resolve(argv[++i]);
        else throw new Error(`unknown argument ${argv[i]}; use --stack <name>, --config-file <file> or --charts <dir>`);
    }
    return { stack, configFile: configFile ?? stackConfigFile(stack), chartsDir };
}

/**
 * The Helm binary and the environment to run it in. HELM_BIN is dropped from Helm's environment:
 * a wrapper script given as HELM_BIN (../shared/tools/helm is one) would otherwise run itself.
 */
function helmCommand(): { bin: string; env: NodeJS.ProcessEnv } {
    const { HELM_BIN, ...env } = process.env;
    return { bin: HELM_BIN || "helm", env };
}

function checkHelm(helm: { bin: string; env: NodeJS.ProcessEnv }): string {
    const result = spawnSync(helm.bin, ["version", "--short"], { env: helm.env, encoding: "utf8" });
    if (result.error || result.status !== 0) {
        const why = result.error?.message ?? result.stderr.trim();
        throw new Error(
            `Helm not found or not working (${helm.bin}: ${why}). Install Helm (https://helm.sh/docs/intro/install/) or set HELM_BIN to a Helm binary.`,
        );
    }
    return result.stdout.trim();
}

/** The local chart for a release: the planned version's folder or archive, or <chart>/ at that version. */
export function localChart(chartsDir: string, chart: string, version: string): string {
    const versioned = [`${chart}-${version}`, `${chart}-${version}.tgz`].map((name) => path.join(chartsDir, name));
    const found = versioned.find((candidate) => fs.existsSync(candidate));
    if (found) return found;
    const unversioned = path.join(chartsDir, chart);
    const chartYaml = path.join(unversioned, "Chart.yaml");
    if (!fs.existsSync(chartYaml)) {
        throw new Error(
            `chart ${chart} ${version} not found in ${chartsDir}: looked for ${[...versioned, unversioned].map((p) => path.basename(p)).join(", ")}`,
        );
    }
    // Rendering another version than the plan installs would show a reviewer the wrong manifests.
    // The failsafe schema keeps a version such as 1.10 the text it is, not the number 1.1.
    const localVersion = YAML.parse(fs.readFileSync(chartYaml, "utf8"), { schema: "failsafe" })?.version;
    if (localVersion !== version) {
        throw new Error(
            `${unversioned} is chart ${chart} ${localVersion}, the plan installs ${version}: put that version in ${versioned[0]}`,
        );
    }
    return unversioned;
}

/** `helm template` arguments for a planned release, as the Release installs it. */
export function helmTemplateArgs(release: RegisteredResource, valuesFile: string, chartsDir?: string): string[] {
    const { name, chart, version, namespace, repositoryOpts, skipCrds } = release.inputs;
    const source = chartsDir
        ? // With an OCI mirror the chart is a reference (oci://registry/path/<chart>); the folder is named by the chart.
          [localChart(chartsDir, path.posix.basename(chart), version)]
        : [chart, ...(version ? ["--version", version] : []), ...(repositoryOpts?.repo ? ["--repo", repositoryOpts.repo] : [])];
    // The Release applies the chart's CRDs unless told to skip them; so does the rendering.
    return ["template", name, ...source, "--namespace", namespace, "--values", valuesFile, ...(skipCrds ? [] : ["--include-crds"])];
}

async function main() {
    const { stack, configFile, chartsDir } = parseArgs(process.argv.slice(2));
    const helm = helmCommand();
    const helmVersion = checkHelm(helm);
    const plan = await planStack(stack, configFile);
    // Chart lookups first: a missing chart fails before anything is written.
    const renders = plan.releases.map((release) => ({
        release,
        args: helmTemplateArgs(release, path.relative(PROJECT_DIR, path.join(planDir(stack), releaseValuesFile(release))), chartsDir),
    }));
    writePlan(plan);
    const outDir = renderedDir(stack);
    fs.rmSync(outDir, { recursive: true, force: true });
    fs.mkdirSync(outDir, { recursive: true });
    console.log(`Rendering stack "${stack}" with Helm ${helmVersion}; values from plan/${stack}/ (just planned).`);
    for (const { release, args } of renders) {
        const result = spawnSync(helm.bin, args, { cwd: PROJECT_DIR, env: helm.env, encoding: "utf8", maxBuffer: 256 * 1024 * 1024 });
        if (result.error || result.status !== 0) {
            throw new Error(`helm ${args.join(" ")} failed:\n${result.error?.message ?? result.stderr.trim()}`);
        }
        const file = path.join(outDir, `${release.inputs.name}.yaml`);
        fs.writeFileSync(file, result.stdout);
        console.log(
            `  ${release.inputs.name}: chart ${release.inputs.chart} ${release.inputs.version} -> ${path.relative(PROJECT_DIR, file)}`,
        );
    }
}

if (require.main === module) {
    main().catch((error: unknown) => {
        console.error(error instanceof Error ? error.message : String(error));
        process.exit(1);
    });
}
