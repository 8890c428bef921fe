import * as path from "path";
import {
    flattenConfig,
    helmReleases,
    PROJECT_DIR,
    ProgramRun,
    readStackFile,
    RegisteredResource,
    runProgram,
    StackConfigFile,
} from "../../scripts/lib/mockEngine";

export { PROJECT_DIR, type ProgramRun, type RegisteredResource };

/** Pulumi.<stack>.yaml of the project as Pulumi hands it to the program. */
export const exampleStackConfig = (stack: string): StackConfigFile => readStackFile(path.join(PROJECT_DIR, `Pulumi.${stack}.yaml`));
/** Pulumi.dev.yaml as Pulumi hands it to the program. */
export const devStackConfig = (): StackConfigFile => exampleStackConfig("dev");

/** Config written the way a stack file writes it, e.g. `{ namespace: "x", loki: { enabled: false } }`. */
export const stackConfig = (values: Record<string, unknown>): StackConfigFile => flattenConfig(values);

/** Runs index.ts, freshly loaded, under the mock engine with a stack's config. */
export function runIndex(config: StackConfigFile, stack = "dev"): Promise<ProgramRun> {
    return runProgram({ stack, config, load: () => loadFresh("../../index") });
}

/**
 * Runs a program of a user's own under the mock engine: it gets this package's components and the
 * Kubernetes SDK (loaded together and afresh) and returns its stack outputs.
 */
export function runUserProgram(
    program: (components: typeof import("../../components"), k8s: typeof import("@pulumi/kubernetes")) => Record<string, unknown>,
): Promise<ProgramRun> {
    return runProgram({
        stack: "test",
        config: { config: {}, secretKeys: [] },
        load: () => {
            let outputs: Record<string, unknown> = {};
            jest.isolateModules(() => {
                outputs = program(require("../../components"), require("@pulumi/kubernetes"));
            });
            return outputs;
        },
    });
}

// Each run loads the program afresh, as `pulumi up` does in a new process.
function loadFresh(module: string): Record<string, unknown> {
    let loaded: Record<string, unknown> = {};
    jest.isolateModules(() => {
        loaded = require(module);
    });
    return loaded;
}

/** The Helm release of the given release name; fails the test when it is not registered. */
export function release(run: ProgramRun, name: string): RegisteredResource {
    const found = helmReleases(run).find((r) => r.inputs.name === name);
    if (!found)
        throw new Error(
            `no Helm release ${name}; registered: ${helmReleases(run)
                .map((r) => r.inputs.name)
                .join(", ")}`,
        );
    return found;
}

export const releaseNames = (run: ProgramRun): string[] =>
    helmReleases(run)
        .map((r) => r.inputs.name)
        .sort();

export const valuesOf = (run: ProgramRun, name: string): any => release(run, name).inputs.values;

/** The resource of a given URN. */
export const byUrn = (run: ProgramRun, urn: string): RegisteredResource | undefined => run.resources.find((r) => r.urn === urn);
