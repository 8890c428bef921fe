// Maintainer tool: rewrites tests/fixtures/renderedWorkloads.ts from the real charts. It renders
// each example config through ../shared/tools/render-check (the pinned charts, assembled from the
// fetched chart repositories under .mirror, rendered by a real Helm) and records which workloads,
// containers, replicas and volumes come out. CI has no charts to render, so the fixture keeps what
// tests/footprint.test.ts holds the footprint's inventory to. Run it after a chart pin, a release
// name or a component's values change:
//   npx tsx scripts/renderedWorkloads.ts          (SHARED_DIR: where shared/ is, default ../shared)
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import YAML from "yaml";
import { PROJECT_DIR } from "./lib/mockEngine";

/** The configs the fixture is rendered from, by the name the fixture files them under. */
export const RENDERED_CONFIGS = {
    dev: "Pulumi.dev.yaml",
    production: "Pulumi.production.yaml",
    minio: "tests/fixtures/Pulumi.minio.yaml",
    variants: "tests/fixtures/Pulumi.variants.yaml",
} as const;

export interface RenderedWorkload {
    kind: string;
    name: string;
    placement: { replicas: number } | { daemonSet: "all-nodes" | "gpu-nodes" };
    containers: string[];
    initContainers: string[];
    volumes: { claim: string; size: string; perPod: boolean }[];
    createdBy?: string;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Manifest = Record<string, any>;

const GPU_LABEL = /nvidia|gpu/i;

function placementOf(object: Manifest, podSpec: Manifest): RenderedWorkload["placement"] {
    if (object.kind !== "DaemonSet") return { replicas: object.spec?.replicas ?? 1 };
    const terms = podSpec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
    const keys = [
        ...Object.keys(podSpec.nodeSelector ?? {}),
        ...terms.flatMap((t: Manifest) => (t.matchExpressions ?? []).map((e: Manifest) => e.key)),
    ];
    return { daemonSet: keys.some((key: string) => GPU_LABEL.test(key)) ? "gpu-nodes" : "all-nodes" };
}

// What prometheus-operator makes of a Prometheus or Alertmanager resource
// (pkg/prometheus/server/statefulset.go, pkg/alertmanager/statefulset.go): one StatefulSet per
// shard, the server with a config reloader beside it and one before it, a thanos-sidecar when
// spec.thanos is set; entries of spec.containers and spec.initContainers patch those of the same
// name or are added; the claim is <kind>-<name>-db unless the template names it.
function operatorStatefulSets(object: Manifest): RenderedWorkload[] {
    const kind = String(object.kind).toLowerCase();
    const name = object.metadata.name;
    const spec = object.spec ?? {};
    const main = object.kind === "Prometheus" ? "prometheus" : "alertmanager";
    const containers = [main, "config-reloader", ...(object.kind === "Prometheus" && spec.thanos ? ["thanos-sidecar"] : [])];
    const initContainers = ["init-config-reloader"];
    for (const c of spec.containers ?? []) if (!containers.includes(c.name)) containers.push(c.name);
    for (const c of spec.initContainers ?? []) if (!initContainers.includes(c.name)) initContainers.push(c.name);
    const template = spec.storage?.volumeClaimTemplate;
    const volumes = template?.spec?.resources?.requests?.storage
        ? [{ claim: template.metadata?.name ?? `${kind}-${name}-db`, size: String(template.spec.resources.requests.storage), perPod: true }]
        : [];
    const shards = object.kind === "Prometheus" ? (spec.shards ?? 1) : 1;
    return Array.from({ length: shards }, (_, shard) => ({
        kind: "StatefulSet",
        name: `${kind}-${name}${shard === 0 ? "" : `-shard-${shard}`}`,
        placement: { replicas: spec.replicas ?? 1 },
        containers,
        initContainers,
        volumes,
        createdBy: `${object.kind}/${name}`,
    }));
}

/** The workloads of one release's rendered manifests. */
export function renderedWorkloads(manifests: Manifest[]): RenderedWorkload[] {
    const claims = new Map(
        manifests
            .filter((o) => o.kind === "PersistentVolumeClaim")
            .map((o) => [o.metadata.name, String(o.spec?.resources?.requests?.storage)]),
    );
    const workloads: RenderedWorkload[] = [];
    for (const object of manifests) {
        if (object.kind === "Prometheus" || object.kind === "Alertmanager") {
            workloads.push(...operatorStatefulSets(object));
            continue;
        }
        if (!["Deployment", "StatefulSet", "DaemonSet", "Job"].includes(object.kind)) continue;
        const pod: Manifest = object.spec?.template?.spec ?? {};
        const volumes = [
            ...(object.spec?.volumeClaimTemplates ?? []).map((t: Manifest) => ({
                claim: t.metadata.name,
                size: String(t.spec?.resources?.requests?.storage),
                perPod: true,
            })),
            ...(pod.volumes ?? [])
                .filter((v: Manifest) => claims.has(v.persistentVolumeClaim?.claimName))
                .map((v: Manifest) => ({
                    claim: v.persistentVolumeClaim.claimName,
                    size: claims.get(v.persistentVolumeClaim.claimName),
                    perPod: false,
                })),
        ];
        workloads.push({
            kind: object.kind,
            name: object.metadata.name,
            placement: placementOf(object, pod),
            containers: (pod.containers ?? []).map((c: Manifest) => c.name),
            initContainers: (pod.initContainers ?? []).map((c: Manifest) => c.name),
            volumes,
        });
    }
    return workloads;
}

function render(configFile: string, shared: string): Record<string, RenderedWorkload[]> {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "rendered-workloads-"));
    const tool = path.join(shared, "tools/render-check/render-check");
    // render-check stops recording once no resource arrived for RENDER_CHECK_SETTLE_MS (1.5 s), which
    // a cold TypeScript compile of the program outlasts: it then records nothing.
    const env = { ...process.env, RENDER_CHECK_SETTLE_MS: process.env.RENDER_CHECK_SETTLE_MS ?? "8000" };
    const result = spawnSync(tool, ["--config-file", configFile, "--out", out], { cwd: PROJECT_DIR, encoding: "utf8", env });
    const renderedDir = path.join(out, "rendered");
    // render-check exits 1 when one of its checks fails, which still renders everything; 2 when the program throws.
    if (result.error || result.status === 2 || !fs.existsSync(renderedDir)) {
        throw new Error(`render-check failed for ${configFile}: ${result.error?.message ?? (result.stderr || result.stdout).slice(-2000)}`);
    }
    const failed = result.stdout.split("\n").filter((line) => /^FAIL render:/.test(line));
    if (failed.length > 0) throw new Error(`a release did not render for ${configFile}:\n${failed.join("\n")}`);
    const byRelease: Record<string, RenderedWorkload[]> = {};
    for (const file of fs.readdirSync(renderedDir).sort()) {
        const manifests = YAML.parseAllDocuments(fs.readFileSync(path.join(renderedDir, file), "utf8"))
            .map((doc) => doc.toJS())
            .filter((o) => o && typeof o === "object");
        byRelease[file.replace(/\.yaml$/, "")] = renderedWorkloads(manifests);
    }
    fs.rmSync(out, { recursive: true, force: true });
    return byRelease;
}

const HEADER = `// The workloads the pinned charts render for each example config (RENDERED_CONFIGS), read off
// \`helm template\` of the real charts by ../shared/tools/render-check: every Deployment,
// StatefulSet, DaemonSet and Job, its containers, replicas (DaemonSets: all nodes, or GPU nodes by
// their node selector) and volumes; the Prometheus and Alertmanager pods as prometheus-operator
// creates them from the rendered resources. CI has no charts to render, so the footprint's
// inventory (scripts/lib/workloads) is held to this data. Generated by
// \`npx tsx scripts/renderedWorkloads.ts\`; do not edit by hand, regenerate whenever a chart pin, a
// release name or a component's values change.
import { RENDERED_CONFIGS, type RenderedWorkload } from "../../scripts/renderedWorkloads";

export { RENDERED_CONFIGS };
`;

function main() {
    const shared = process.env.SHARED_DIR ?? path.resolve(PROJECT_DIR, "../shared");
    const fixture: Record<string, Record<string, RenderedWorkload[]>> = {};
    for (const [name, file] of Object.entries(RENDERED_CONFIGS)) {
        fixture[name] = render(path.join(PROJECT_DIR, file), shared);
        console.log(
            `${name} (${file}): ${Object.values(fixture[name]).flat().length} workloads in ${Object.keys(fixture[name]).length} releases`,
        );
    }
    const target = path.join(PROJECT_DIR, "tests/fixtures/renderedWorkloads.ts");
    const body = `export const RENDERED_WORKLOADS: Record<keyof typeof RENDERED_CONFIGS, Record<string, RenderedWorkload[]>> = ${JSON.stringify(fixture, null, 4)};\n`;
    fs.writeFileSync(target, `${HEADER}\n${body}`);
    spawnSync(path.join(PROJECT_DIR, "node_modules/.bin/prettier"), ["--write", target], { cwd: PROJECT_DIR, stdio: "inherit" });
    console.log(`wrote ${path.relative(PROJECT_DIR, target)}`);
}

if (require.main === module) main();
