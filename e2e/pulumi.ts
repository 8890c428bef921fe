// The real Pulumi CLI and Kubernetes provider driving the project's real program. The Node.js
// language host is not served by the Go module proxy, so the engine runs the program through the
// Automation API's inline program, whose language server runs inside this Node process: the program
// is index.ts itself, loaded fresh for each operation as `pulumi up` loads it in a new process.
import * as fs from "fs";
import * as path from "path";
import { LocalWorkspace, PulumiCommand, Stack } from "@pulumi/pulumi/automation";
import YAML from "yaml";
import { PROJECT_DIR, projectName } from "../scripts/lib/mockEngine";
import { loadProgram } from "../scripts/plan";
import { mergeReplacingLists } from "../config/merge";
import type { ClusterState } from "./cluster";

export const E2E_PASSPHRASE = "e2e-only";

/** The StorageClass the e2e stacks name: provisioned by the controller-manager's host-path provisioner. */
export const E2E_STORAGE_CLASS = "e2e-hostpath";

/** What a person needs in their shell to use the e2e cluster's kubectl and pulumi. */
export function e2eEnv(cluster: ClusterState): Record<string, string> {
    return {
        KUBECONFIG: cluster.kubeconfig,
        PATH: `${cluster.binDir}:${process.env.PATH}`,
        PULUMI_HOME: path.join(cluster.dir, "pulumi-home"),
        PULUMI_BACKEND_URL: `file://${path.join(cluster.dir, "pulumi-backend")}`,
        PULUMI_CONFIG_PASSPHRASE: E2E_PASSPHRASE,
        PULUMI_SKIP_UPDATE_CHECK: "true",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
        PULUMI_SKIP_CONFIRMATIONS: "true",
    };
}

/** Puts the random provider stand-in on the cluster's PATH folder as the plugin the engine runs. */
export function installStandIns(cluster: ClusterState): void {
    const launcher = path.join(cluster.binDir, "pulumi-resource-random");
    const tsx = path.join(PROJECT_DIR, "node_modules", ".bin", "tsx");
    fs.writeFileSync(launcher, `#!/bin/sh\nexec "${tsx}" "${path.join(__dirname, "randomStandIn.ts")}" "$@"\n`, { mode: 0o755 });
}

export interface StackSpec {
    /** The stack's name in the e2e backend. */
    name: string;
    /** The `config:` map of a Pulumi.<stack>.yaml, project keys included. */
    config: Record<string, unknown>;
}

/**
 * The stack config of a Pulumi.<stack>.yaml with what the e2e cluster needs laid over it (deep, lists
 * replaced): its StorageClass, and every chart from the loopback chart repository, the air-gapped
 * path exercised for real. `overrides` are keys without the project prefix.
 */
export function e2eConfig(file: string, chartRepositoryUrl: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
    const project = projectName();
    const config = (YAML.parse(fs.readFileSync(file, "utf8"))?.config ?? {}) as Record<string, unknown>;
    const e2e = { storageClass: E2E_STORAGE_CLASS, mirror: { chartRepository: chartRepositoryUrl }, ...overrides };
    return mergeReplacingLists(config, Object.fromEntries(Object.entries(e2e).map(([key, value]) => [`${project}:${key}`, value])));
}

/** A stack of the project in the e2e backend, its config written as the stack file pulumi reads. */
export async function e2eStack(cluster: ClusterState, spec: StackSpec): Promise<Stack> {
    const env = e2eEnv(cluster);
    const workDir = path.join(cluster.dir, "projects", spec.name);
    fs.mkdirSync(workDir, { recursive: true });
    fs.mkdirSync(env.PULUMI_BACKEND_URL.slice("file://".length), { recursive: true });
    // The project file without `main`: the program is the inline one, which loads index.ts itself.
    const { main: _main, ...project } = YAML.parse(fs.readFileSync(path.join(PROJECT_DIR, "Pulumi.yaml"), "utf8"));
    fs.writeFileSync(path.join(workDir, "Pulumi.yaml"), YAML.stringify(project));
    fs.writeFileSync(path.join(workDir, `Pulumi.${spec.name}.yaml`), YAML.stringify({ config: spec.config }));
    const pulumiCommand = await PulumiCommand.get({ root: cluster.dir, skipVersionCheck: false });
    return LocalWorkspace.createOrSelectStack(
        { projectName: projectName(), stackName: spec.name, program: async () => loadProgram() },
        { workDir, envVars: env, pulumiCommand },
    );
}
