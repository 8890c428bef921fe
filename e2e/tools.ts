// The real programs the end-to-end run needs, built from source through the Go module proxy, each
// once per version into a cache outside the repository, then reused.
//   npm run e2e:tools               build what is missing, print a line per tool as it is ready
//   npm run e2e:tools -- --print    print `name path version` for every tool (builds what is missing)
// The wrapper modules in e2e/tools/<module>/ (go.mod, go.sum, and a main.go where the upstream main
// cannot be built as published) are the project's; nothing fetched is kept in the repository.
import { execFileSync, spawnSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const WRAPPERS_DIR = path.join(__dirname, "tools");

export interface ToolBinary {
    /** The command's name, as it is put on PATH. */
    name: string;
    /** The Go package of its main function, as the wrapper module resolves it. */
    goPackage: string;
}

export interface ToolModule {
    /** The wrapper module's folder under e2e/tools/. */
    wrapper: string;
    /** The upstream release the wrapper pins (its own go.mod says it too; tests hold the two equal). */
    version: string;
    binaries: ToolBinary[];
    /** `-X` linker flags: the version the program reports, which Helm, kubectl and Pulumi read. */
    versionStamp: Record<string, string>;
    /** Files of the upstream module copied into the build folder (`src/` of its cache folder). */
    upstreamFiles?: { module: string; files: string[] };
}

const KUBERNETES_VERSION = "v1.35.4";
const [kubeMajor, kubeMinor] = KUBERNETES_VERSION.slice(1).split(".");
const KUBERNETES_PROVIDER_MODULE = "github.com/pulumi/pulumi-kubernetes/provider/v4@v4.0.0-20260115033456-f47bc2d6f199";

export const TOOL_MODULES: ToolModule[] = [
    {
        wrapper: "etcd",
        version: "v3.6.17",
        binaries: [{ name: "etcd", goPackage: "go.etcd.io/etcd/server/v3" }],
        versionStamp: {},
    },
    {
        wrapper: "kubernetes",
        version: KUBERNETES_VERSION,
        binaries: ["kube-apiserver", "kube-controller-manager", "kube-scheduler"].map((name) => ({
            name,
            goPackage: `k8s.io/kubernetes/cmd/${name}`,
        })),
        versionStamp: {
            "k8s.io/component-base/version.gitVersion": KUBERNETES_VERSION,
            "k8s.io/component-base/version.gitMajor": kubeMajor,
            "k8s.io/component-base/version.gitMinor": kubeMinor,
            "k8s.io/component-base/version.gitTreeState": "clean",
        },
    },
    {
        wrapper: "kwok",
        version: "v0.8.0",
        binaries: [{ name: "kwok", goPackage: "sigs.k8s.io/kwok/cmd/kwok" }],
        versionStamp: { "sigs.k8s.io/kwok/pkg/consts.Version": "v0.8.0" },
        // kwok's own stages (what happens to a fake node and its pods), passed to it with --config.
        upstreamFiles: {
            module: "sigs.k8s.io/kwok@v0.8.0",
            files: [
                "kustomize/stage/node/fast/node-initialize.yaml",
                "kustomize/stage/node/heartbeat-with-lease/node-heartbeat-with-lease.yaml",
                // Pods Ready at once and gone as soon as they are deleted: a container answers
                // SIGTERM in a moment, while the general stages wait out each grace period (300 s).
                ...["ready", "complete", "delete"].map((stage) => `kustomize/stage/pod/fast/pod-${stage}.yaml`),
            ],
        },
    },
    {
        wrapper: "prometheus-operator",
        version: "v0.93.1",
        binaries: [{ name: "prometheus-operator", goPackage: "github.com/prometheus-operator/prometheus-operator/cmd/operator" }],
        versionStamp: {},
    },
    {
        wrapper: "pulumi",
        version: "v3.276.0",
        binaries: [{ name: "pulumi", goPackage: "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi" }],
        versionStamp: { "github.com/pulumi/pulumi/sdk/v3/go/common/version.Version": "v3.276.0" },
    },
    {
        wrapper: "pulumi-kubernetes",
        // No release of the provider module is served, only this commit of its 4.25 line.
        version: "v4.0.0-20260115033456-f47bc2d6f199",
        binaries: [{ name: "pulumi-resource-kubernetes", goPackage: "." }],
        versionStamp: { "github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version.Version": "4.0.0-20260115033456-f47bc2d6f199" },
        upstreamFiles: {
            module: KUBERNETES_PROVIDER_MODULE,
            files: ["cmd/pulumi-resource-kubernetes/schema.json", "cmd/pulumi-resource-kubernetes/terraform-mapping.json"],
        },
    },
];

export interface BuiltTool {
    name: string;
    path: string;
    version: string;
    /** The build folder, with the upstream files the tool was built or is run with. */
    srcDir: string;
}

export const toolsCacheDir = (): string =>
    process.env.GPU_OBSERVABILITY_TOOLS_CACHE ??
    path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), ".cache"), "gpu-observability", "e2e-tools");

/** The cache folder of one module: its version and a hash of the wrapper, so any change rebuilds. */
export function moduleCacheDir(tool: ToolModule): string {
    const hash = crypto.createHash("sha256");
    for (const file of fs.readdirSync(path.join(WRAPPERS_DIR, tool.wrapper)).sort()) {
        hash.update(file).update(fs.readFileSync(path.join(WRAPPERS_DIR, tool.wrapper, file)));
    }
    hash.update(JSON.stringify(tool));
    return path.join(toolsCacheDir(), `${tool.wrapper}-${tool.version}-${hash.digest("hex").slice(0, 12)}`);
}

// The machine's Go (1.26), never a downloaded toolchain; version control stamping off, since the
// sources come from the module cache.
const goEnv = (): NodeJS.ProcessEnv => ({ ...process.env, GOFLAGS: "-buildvcs=false", GOTOOLCHAIN: "local" });

function upstreamModuleDir(module: string): string {
    const info = JSON.parse(execFileSync("go", ["mod", "download", "-json", module], { env: goEnv(), encoding: "utf8" }));
    return info.Dir as string;
}

/** Builds one wrapper module's binaries into its cache folder, unless they are there already. */
export function buildModule(tool: ToolModule, log: (line: string) => void = () => {}): { built: boolean; seconds: number } {
    const dir = moduleCacheDir(tool);
    const done = path.join(dir, ".complete");
    if (fs.existsSync(done)) return { built: false, seconds: 0 };
    const started = Date.now();
    const src = path.join(dir, "src");
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(src, { recursive: true });
    fs.cpSync(path.join(WRAPPERS_DIR, tool.wrapper), src, { recursive: true });
    if (tool.upstreamFiles) {
        const upstream = upstreamModuleDir(tool.upstreamFiles.module);
        for (const file of tool.upstreamFiles.files) {
            fs.copyFileSync(path.join(upstream, file), path.join(src, path.basename(file)));
            fs.chmodSync(path.join(src, path.basename(file)), 0o644);
        }
    }
    const ldflags = ["-s", "-w", ...Object.entries(tool.versionStamp).map(([name, value]) => `-X ${name}=${value}`)].join(" ");
    for (const binary of tool.binaries) {
        log(`building ${binary.name} ${tool.version}`);
        const result = spawnSync("go", ["build", "-ldflags", ldflags, "-o", path.join(dir, "bin", binary.name), binary.goPackage], {
            cwd: src,
            env: goEnv(),
            stdio: ["ignore", "inherit", "inherit"],
        });
        if (result.status !== 0)
            throw new Error(`go build ${binary.goPackage} (${tool.wrapper} ${tool.version}) failed with exit ${result.status}`);
    }
    fs.writeFileSync(done, new Date().toISOString() + "\n");
    return { built: true, seconds: (Date.now() - started) / 1000 };
}

/** Every tool, built where missing. */
export function ensureTools(log: (line: string) => void = () => {}): BuiltTool[] {
    const tools: BuiltTool[] = [];
    for (const tool of TOOL_MODULES) {
        const { built, seconds } = buildModule(tool, log);
        if (built) log(`built ${tool.wrapper} ${tool.version} in ${seconds.toFixed(0)} s`);
        for (const binary of tool.binaries)
            tools.push({
                name: binary.name,
                path: path.join(moduleCacheDir(tool), "bin", binary.name),
                version: tool.version,
                srcDir: path.join(moduleCacheDir(tool), "src"),
            });
    }
    return tools;
}

if (require.main === module) {
    const print = process.argv.includes("--print");
    const started = Date.now();
    try {
        const tools = ensureTools((line) => process.stderr.write(`e2e:tools: ${line}\n`));
        for (const tool of tools) console.log(print ? `${tool.name} ${tool.path} ${tool.version}` : `${tool.name} ${tool.version} ready`);
        if (!print)
            console.log(
                `e2e:tools: ${tools.length} tools ready in ${((Date.now() - started) / 1000).toFixed(0)} s (cache ${toolsCacheDir()})`,
            );
    } catch (error) {
        console.error(`e2e:tools: ${(error as Error).message}`);
        process.exit(1);
    }
}
