// Profiles: the same program for a one-node dev cluster and a GPU fleet. A profile only sets
// defaults; whatever the config sets wins.
import { PROFILE_DEFAULTS, validateStackConfig } from "../config";
import { isPlainObject, mergeReplacingLists } from "../config/merge";
import { exampleStackConfig, ProgramRun, release, releaseNames, runIndex, stackConfig, valuesOf } from "./helpers/run";

/** What a production stack needs besides the profile: the things only the cluster can name. */
const PRODUCTION_NEEDS = {
    objectStorage: { provider: "minio" },
    tempo: { kafka: { address: "kafka-bootstrap.kafka.svc:9092" } },
    grafana: { database: { type: "postgres", host: "db.example.internal:5432", name: "grafana", user: "grafana", password: "pw" } },
};

type Tree = Record<string, unknown>;
const at = (tree: unknown, path: string[]): unknown =>
    path.reduce<unknown>((node, key) => (isPlainObject(node) ? node[key] : undefined), tree);
const nested = (path: string[], value: unknown): Tree => path.reduceRight<unknown>((inner, key) => ({ [key]: inner }), value) as Tree;
const deepMerge = (a: Tree, b: Tree): Tree => mergeReplacingLists(a, b);

describe("the dev profile", () => {
    it("is the default, and is the schema's own defaults", () => {
        expect(validateStackConfig({}).profile).toBe("dev");
        expect(PROFILE_DEFAULTS.dev).toEqual({});
        expect(validateStackConfig({ profile: "dev" })).toEqual(validateStackConfig({}));
    });

    it("runs one replica of everything on the pods' own volumes", () => {
        const config = validateStackConfig({});
        expect(config.objectStorage.provider).toBeUndefined();
        expect(config.loki.mode).toBe("monolithic");
        expect(config.tempo.mode).toBe("monolithic");
        expect([config.prometheus.replicas, config.prometheus.alertmanagerReplicas, config.grafana.replicas]).toEqual([1, 1, 1]);
    });
});

describe("the production profile", () => {
    const dev = validateStackConfig(PRODUCTION_NEEDS);
    const production = validateStackConfig({ profile: "production", ...PRODUCTION_NEEDS });
    // Each key a subsystem's profile defaults set, whole (a resources object is one setting: its
    // request and limit are checked against each other).
    const defaults = Object.entries(PROFILE_DEFAULTS.production as Tree).flatMap(([subsystem, keys]) =>
        Object.entries(keys as Tree).map(([key, value]): [string[], unknown] => [[subsystem, key], value]),
    );

    it("scales out: Loki simple-scalable, Tempo distributed, Prometheus, Alertmanager and Grafana replicated", () => {
        expect(production.loki.mode).toBe("simple-scalable");
        expect(production.tempo.mode).toBe("distributed");
        expect(production.prometheus.replicas).toBeGreaterThanOrEqual(2);
        expect(production.prometheus.alertmanagerReplicas).toBeGreaterThanOrEqual(2);
        expect(production.grafana.replicas).toBeGreaterThanOrEqual(2);
    });

    it.each(defaults.map(([path, value]) => [path.join("."), path, value]))("sets %s as if the config had set it", (_key, path, value) => {
        expect(at(validateStackConfig(deepMerge(PRODUCTION_NEEDS, nested(path as string[], value))), path as string[])).toEqual(
            at(production, path as string[]),
        );
    });

    it.each(defaults.filter(([path]) => at(dev, path) !== undefined).map(([path]) => [path.join("."), path]))(
        "only defaults %s: the config's own value wins",
        (_key, path) => {
            const devValue = at(dev, path as string[]);
            const overridden = validateStackConfig(
                deepMerge({ profile: "production", ...PRODUCTION_NEEDS }, nested(path as string[], devValue)),
            );
            expect(at(overridden, path as string[])).toEqual(devValue);
        },
    );

    it("names, in one error and before anything is created, what only the cluster can tell it", async () => {
        const run = await runIndex(stackConfig({ profile: "production" }), "production");
        expect(run.error?.message).toMatch(/^invalid config of stack "production"/);
        const [, ...lines] = run.error!.message.split("\n");
        const note = lines.pop();
        expect(note).toBe(
            "The production profile lays its defaults under this config (docs/configuration.md, column production); any key set in the config wins.",
        );
        const problems = lines;
        expect(problems).toEqual([
            expect.stringMatching(/gpu-observability:grafana.database: is missing, but grafana.replicas is 2/),
            expect.stringMatching(
                /gpu-observability:tempo.mode: is distributed.*objectStorage.provider.*\(the value is the production profile's default\)$/,
            ),
            expect.stringMatching(/gpu-observability:tempo.kafka.address: is missing/),
            expect.stringMatching(
                /gpu-observability:loki.mode: is simple-scalable.*objectStorage.provider.*\(the value is the production profile's default\)$/,
            ),
        ]);
        expect(run.resources).toEqual([]);
    });
});

describe("Pulumi.production.yaml, the example fleet", () => {
    let run: ProgramRun;
    beforeAll(async () => {
        run = await runIndex(exampleStackConfig("production"), "production");
    });

    it("plans cleanly", () => {
        expect(run.error).toBeUndefined();
        expect(releaseNames(run).sort()).toEqual([
            "dcgm-exporter",
            "grafana",
            "kube-prometheus-stack",
            "loki",
            "otel-collector",
            "promtail",
            "tempo",
        ]);
    });

    it("installs the scalable charts on the example's S3 buckets through workload identity", () => {
        expect(release(run, "tempo").inputs.chart).toBe("tempo-distributed");
        expect(valuesOf(run, "loki").deploymentMode).toBe("SimpleScalable");
        expect(JSON.stringify(valuesOf(run, "loki"))).toContain("acme-gpu-fleet-loki-chunks");
        expect(JSON.stringify(valuesOf(run, "tempo"))).toContain("acme-gpu-fleet-tempo-traces");
        expect(run.resources.filter((r) => r.type === "kubernetes:core/v1:Secret").map((r) => r.inputs.metadata.name)).not.toContain(
            "object-storage-credentials",
        );
    });
});
