// Air-gapped clusters (`mirror`): with a mirror set, no image or chart reference of any release the
// stack installs points anywhere else, sidecars, init containers, subcharts and the images charts
// pick by default included. Each release's images are resolved as its chart's templates resolve
// them: from the chart's default values.yaml (../shared/charts) merged with the release's values.
import YAML from "yaml";
import { imagePath, mirrorValues } from "../components/mirror";
import { CHARTS, ChartPin } from "../config/charts";
import { MirrorConfig } from "../config/mirror";
import { helmReleases } from "../scripts/lib/mockEngine";
import { ProgramRun, runIndex, stackConfig } from "./helpers/run";
import { chartFile } from "./helpers/shared";

const REGISTRY = "registry.example.internal/mirror";
const PULL_SECRET = "regcred";
const OCI_CHARTS = "oci://registry.example.internal/charts";
const HTTP_CHARTS = "https://charts.example.internal/helm";

type Values = Record<string, any>;
type ChartKey = ChartPin["chart"];

const isMap = (value: unknown): value is Values => typeof value === "object" && value !== null && !Array.isArray(value);

/** Helm's merge of values onto a chart's defaults: maps merge, anything else replaces, null deletes. */
function helmMerge(base: unknown, over: unknown): any {
    if (!isMap(base) || !isMap(over)) return over;
    const merged: Values = { ...base };
    for (const [key, value] of Object.entries(over)) {
        if (value === null) delete merged[key];
        else merged[key] = helmMerge(base[key], value);
    }
    return merged;
}

/** Sprig's `coalesce` / `default`: the first value that is not empty ("", null, [], {}). */
const coalesce = (...values: unknown[]): any =>
    values.find(
        (v) => v !== undefined && v !== null && v !== "" && !(Array.isArray(v) && v.length === 0) && !(isMap(v) && !Object.keys(v).length),
    );
const join = (registry: string | undefined, repository: string) => (registry ? `${registry}/${repository}` : repository);
const named = (secrets: unknown[] = []) => secrets.map((s) => (typeof s === "string" ? { name: s } : s));

/** An image reference a template renders, and the values path it comes from. */
interface Image {
    at: string;
    /** registry/path, without the tag. */
    repository: string;
    tag?: string;
    /** The path on the mirror, where a template joins a fixed path to whatever registry it is given. */
    path?: string;
}

/** Every object in the values that names an image repository, with its path. */
function imageNodes(values: unknown, at: string[] = []): [string, Values][] {
    if (!isMap(values)) return [];
    const here: [string, Values][] = "repository" in values ? [[at.join("."), values]] : [];
    return [...here, ...Object.entries(values).flatMap(([key, value]) => imageNodes(value, [...at, key]))];
}

/** Container images written out whole in the values (extra containers, init containers, sidecars). */
function literalImages(values: unknown, at: string[] = []): Image[] {
    if (Array.isArray(values)) return values.flatMap((v, i) => literalImages(v, [...at, String(i)]));
    if (!isMap(values)) return [];
    return Object.entries(values).flatMap(([key, value]) =>
        key === "image" && typeof value === "string"
            ? [{ at: [...at, key].join("."), repository: value.replace(/(:[\w.-]+)?(@sha256:\w+)?$/, "") }]
            : literalImages(value, [...at, key]),
    );
}

/**
 * How a chart's templates turn its values into image references and pod pull secrets: each rule
 * below is read from the template it names, at the pinned version.
 */
interface ChartModel {
    /** The reference of the image at `at`; undefined when no template reads it. */
    image: (values: Values, node: Values, at: string) => string | undefined;
    /** Images a template picks itself, outside any image key. */
    chosen?: (values: Values) => Image[];
    /** The imagePullSecrets each kind of pod renders with. */
    pullSecrets: (values: Values) => Record<string, unknown>;
    /** Subcharts: alias, chart and the version the parent's Chart.yaml pins (SUBCHART_DEFAULTS are that version's). */
    subcharts?: { alias: string; chart: string; version: string }[];
}

// Image keys and defaults of charts that ../shared/charts does not hold, as the pinned versions
// declare them in their values.yaml (kube-prometheus-stack 88.5.3 depends on kube-state-metrics
// 8.4.0, prometheus-node-exporter 4.56.1, prometheus-windows-exporter 0.12.8; Loki 18.11.0 and
// tempo-distributed 3.3.0 on rollout-operator 0.51.1, tempo-distributed on grafana-agent-operator
// 0.5.2; Loki's MinIO subchart and the stack's own MinIO release are minio 5.4.0).
const EXPORTER_GLOBAL = { global: { imageRegistry: "", imagePullSecrets: [] }, imagePullSecrets: [] };
const KUBE_RBAC_PROXY = { kubeRBACProxy: { image: { registry: "quay.io", repository: "brancz/kube-rbac-proxy", tag: "v0.22.1" } } };
const SUBCHART_DEFAULTS: Record<string, Values> = {
    "kube-state-metrics": {
        ...EXPORTER_GLOBAL,
        image: { registry: "registry.k8s.io", repository: "kube-state-metrics/kube-state-metrics", tag: "" },
        ...KUBE_RBAC_PROXY,
    },
    "prometheus-node-exporter": {
        ...EXPORTER_GLOBAL,
        image: { registry: "quay.io", repository: "prometheus/node-exporter", tag: "" },
        ...KUBE_RBAC_PROXY,
        permissionInitContainer: { image: { registry: "quay.io", repository: "prometheus/busybox", tag: "latest" } },
    },
    "prometheus-windows-exporter": {
        ...EXPORTER_GLOBAL,
        image: { registry: "ghcr.io", repository: "prometheus-community/windows-exporter", tag: "" },
    },
    "rollout-operator": { imagePullSecrets: [], image: { registry: "docker.io", repository: "grafana/rollout-operator", tag: "" } },
    "grafana-agent-operator": {
        image: { registry: "docker.io", repository: "grafana/agent-operator", tag: "v0.44.2", pullSecrets: [] },
        test: { image: { registry: "docker.io", repository: "library/busybox", tag: "latest" } },
    },
    minio: {
        imagePullSecrets: [],
        image: { repository: "quay.io/minio/minio", tag: "RELEASE.2024-12-18T13-15-44Z" },
        mcImage: { repository: "quay.io/minio/mc", tag: "RELEASE.2024-11-21T17-21-54Z" },
    },
};

const defaultsOf = (chart: ChartKey | string): Values => {
    const pin = Object.values(CHARTS).find((p) => p.chart === chart && chart !== "minio");
    return pin ? YAML.parse(chartFile(pin, "values.yaml")) : structuredClone(SUBCHART_DEFAULTS[chart]);
};

// registry, then repository (`registry/repository`), where the chart's global registry key wins.
const globalFirst = (global: (v: Values) => unknown) => (v: Values, node: Values) =>
    node.repository ? join(coalesce(global(v), node.registry), node.repository) : undefined;
// The repository holds the registry; no registry key.
const whole = (_v: Values, node: Values): string | undefined => node.repository || undefined;

const MODELS: Record<string, ChartModel> = {
    loki: {
        // templates/_helpers.tpl "loki.image": coalesce(global.imageRegistry, global.image.registry,
        // global.registry, component, loki.image); components without a repository run loki.image.
        image: (v, node) =>
            join(
                coalesce(v.global.imageRegistry, v.global.image?.registry, v.global.registry, node.registry, v.loki.image.registry),
                coalesce(node.repository, v.loki.image.repository),
            ),
        // templates/_pod.tpl, gateway, canary and memcached templates: toYaml imagePullSecrets.
        pullSecrets: (v) => ({ pods: v.imagePullSecrets }),
        subcharts: [
            { alias: "rollout_operator", chart: "rollout-operator", version: "0.51.1" },
            { alias: "minio", chart: "minio", version: CHARTS.minio.version },
        ],
    },
    tempo: {
        // templates/statefulset.yaml: tempo honours global.imageRegistry, tempo-query is `tempoQuery.repository`.
        image: (v, node, at) =>
            at === "tempoQuery" ? node.repository : join(coalesce(v.global.imageRegistry, node.registry), node.repository),
        pullSecrets: (v) => ({ statefulSet: (v.tempo.pullSecrets ?? []).map((name: string) => ({ name })) }),
    },
    "tempo-distributed": {
        // templates/_helpers.tpl "tempo.tempoImage": coalesce(component, tempo.image, global.image).
        // kubectlImage: no template of 3.3.0 reads it.
        image: (v, node, at) =>
            at === "kubectlImage"
                ? undefined
                : join(
                      coalesce(node.registry, v.tempo.image.registry, v.global.image.registry),
                      coalesce(node.repository, v.tempo.image.repository),
                  ),
        chosen: (v) => [
            // templates/_helpers.tpl: the StatefulSet-recreate job's `<global.image.registry or
            // registry.k8s.io>/kubectl`. Upstream the chart's docker.io default wins (a chart quirk);
            // the image meant is registry.k8s.io's kubectl, at <mirror>/kubectl like Loki's.
            { at: "(recreate job)", repository: `${coalesce(v.global.image.registry, "registry.k8s.io")}/kubectl`, path: "kubectl" },
            // templates/tests/integration/pod.yaml hard-codes bats/bats: a `helm test` hook, when enabled.
            ...(v.tests?.integration?.enabled ? [{ at: "tests.integration", repository: "bats/bats" }] : []),
        ],
        // "tempo.imagePullSecrets": coalesce(component, tempo.image, global.image).pullSecrets, as names.
        pullSecrets: (v) => ({ pods: named(coalesce(v.tempo.image.pullSecrets, v.global.image.pullSecrets)) }),
        subcharts: [
            { alias: "rollout_operator", chart: "rollout-operator", version: "0.51.1" },
            { alias: "grafana-agent-operator", chart: "grafana-agent-operator", version: "0.5.2" },
        ],
    },
    // templates/_pod.tpl, image-renderer-deployment.yaml, tests/test.yaml: global.imageRegistry | default.
    grafana: {
        image: globalFirst((v) => v.global.imageRegistry),
        // "grafana.imagePullSecrets": global.imagePullSecrets then image.pullSecrets, names or {name}.
        pullSecrets: (v) => ({ pod: named([...(v.global.imagePullSecrets ?? []), ...(v.image.pullSecrets ?? [])]) }),
    },
    promtail: {
        // templates/_pod.tpl: Promtail takes global.imageRegistry, the config-reloader sidecar only its own.
        image: (v, node, at) =>
            at === "sidecar.configReloader.image"
                ? join(node.registry, node.repository)
                : join(coalesce(v.global.imageRegistry, node.registry), node.repository),
        pullSecrets: (v) => ({ daemonSet: coalesce(v.global.imagePullSecrets, v.imagePullSecrets) }),
    },
    alloy: {
        // templates/containers/_agent.yaml, _watch.yaml: global.image.registry | default.
        image: globalFirst((v) => v.global.image.registry),
        // templates/controllers/_pod.yaml: toYaml global.image.pullSecrets, else image.pullSecrets.
        pullSecrets: (v) => ({ pod: coalesce(v.global.image.pullSecrets, v.image.pullSecrets) }),
    },
    "kube-prometheus-stack": {
        // Every template: global.imageRegistry | default <image>.registry.
        image: globalFirst((v) => v.global.imageRegistry),
        chosen: (v) => {
            const op = v.prometheusOperator;
            // templates/prometheus-operator/deployment.yaml passes --*-default-base-image only when set;
            // unset, the operator uses its own (prometheus-operator pkg/operator: quay.io/prometheus/...).
            const base = (image: string | undefined, registry: string | undefined, builtIn: string) =>
                image ? `${coalesce(v.global.imageRegistry, registry)}/${image}` : builtIn;
            return [
                {
                    at: "prometheusOperator.prometheusDefaultBaseImage",
                    repository: base(op.prometheusDefaultBaseImage, op.prometheusDefaultBaseImageRegistry, "quay.io/prometheus/prometheus"),
                },
                {
                    at: "prometheusOperator.alertmanagerDefaultBaseImage",
                    repository: base(
                        op.alertmanagerDefaultBaseImage,
                        op.alertmanagerDefaultBaseImageRegistry,
                        "quay.io/prometheus/alertmanager",
                    ),
                },
            ];
        },
        // The operator, Prometheus, Alertmanager and the jobs range over global.imagePullSecrets
        // (names or {name}); Thanos Ruler copies the list with toYaml, so only {name} fits everywhere.
        pullSecrets: (v) => ({ "operator, Prometheus, Alertmanager, Thanos Ruler": v.global.imagePullSecrets }),
        subcharts: [
            { alias: "kube-state-metrics", chart: "kube-state-metrics", version: "8.4.0" },
            { alias: "prometheus-node-exporter", chart: "prometheus-node-exporter", version: "4.56.1" },
            { alias: "prometheus-windows-exporter", chart: "prometheus-windows-exporter", version: "0.12.*" },
            { alias: "grafana", chart: "grafana", version: CHARTS.grafana.version },
        ],
    },
    // templates/_pod.tpl: global.imageRegistry is prefixed to the repository, registry and all.
    "opentelemetry-collector": {
        image: (v, node) => join(v.global?.imageRegistry, node.repository),
        pullSecrets: (v) => ({ pod: v.imagePullSecrets }),
    },
    // templates/daemonset.yaml: `image.repository:tag`.
    "dcgm-exporter": { image: whole, pullSecrets: (v) => ({ daemonSet: v.imagePullSecrets }) },
    // templates/deployment.yaml, statefulset.yaml, post-job.yaml; "minio.imagePullSecrets": global's names, else the list.
    minio: {
        image: whole,
        pullSecrets: (v) => ({ pods: v.global?.imagePullSecrets?.length ? named(v.global.imagePullSecrets) : v.imagePullSecrets }),
    },
    // Exporters of kube-prometheus-stack: global.imageRegistry, else their own; secrets: global's then their own.
    "kube-state-metrics": {
        image: globalFirst((v) => v.global.imageRegistry),
        pullSecrets: (v) => ({ deployment: named([...v.global.imagePullSecrets, ...v.imagePullSecrets]) }),
    },
    "prometheus-node-exporter": {
        image: globalFirst((v) => v.global.imageRegistry),
        pullSecrets: (v) => ({ daemonSet: named([...v.global.imagePullSecrets, ...v.imagePullSecrets]) }),
    },
    "prometheus-windows-exporter": {
        image: globalFirst((v) => v.global.imageRegistry),
        pullSecrets: (v) => ({ daemonSet: named([...v.global.imagePullSecrets, ...v.imagePullSecrets]) }),
    },
    // templates/_helpers.tpl "rollout-operator.imageName": its own registry only.
    "rollout-operator": {
        image: (_v, node) => join(node.registry, node.repository),
        pullSecrets: (v) => ({ deployment: v.imagePullSecrets }),
    },
    "grafana-agent-operator": {
        image: (_v, node) => join(node.registry, node.repository),
        // templates/tests/test-grafanaagent.yaml: the test's GrafanaAgent runs `<image.registry>/grafana/agent`.
        chosen: (v) => [{ at: "(test GrafanaAgent)", repository: `${v.image.registry}/grafana/agent` }],
        pullSecrets: (v) => ({ deployment: v.image.pullSecrets }),
    },
};

/** A chart's effective values (defaults, then the release's), and its subcharts', by chart path. */
function effectiveValues(chart: string, values: Values, defaults = defaultsOf(chart), at = chart): [string, string, Values][] {
    const merged = helmMerge(defaults, values);
    const subcharts = (MODELS[chart].subcharts ?? []).flatMap(({ alias, chart: sub }) => {
        const subDefaults = defaultsOf(sub);
        // Helm hands a subchart its parent's globals, merged over its own.
        const own = helmMerge(merged[alias] ?? {}, { global: helmMerge(subDefaults.global ?? {}, merged.global ?? {}) });
        return effectiveValues(sub, own, subDefaults, `${at} > ${alias}`);
    });
    return [[at, chart, merged], ...subcharts];
}

/** Every image reference a release's chart and subcharts render, and where it comes from. */
function imagesOf(chart: string, values: Values): Image[] {
    const fromCharts = effectiveValues(chart, values).flatMap(([at, sub, merged]) => {
        const model = MODELS[sub];
        // A subchart's section is the subchart's to read.
        const own = Object.fromEntries(Object.entries(merged).filter(([key]) => !model.subcharts?.some((s) => s.alias === key)));
        const fromKeys = imageNodes(own).flatMap(([key, node]) => {
            const repository = model.image(merged, node, key);
            return repository ? [{ at: `${at}: ${key}`, repository, tag: node.tag || undefined }] : [];
        });
        const chosen = (model.chosen?.(merged) ?? []).map((image) => ({ ...image, at: `${at}: ${image.at}` }));
        return [...fromKeys, ...chosen];
    });
    return [...fromCharts, ...literalImages(values).map((image) => ({ ...image, at: `${chart}: ${image.at}` }))];
}

function pullSecretsOf(chart: string, values: Values): Record<string, unknown> {
    return Object.fromEntries(
        effectiveValues(chart, values).flatMap(([at, sub, merged]) =>
            Object.entries(MODELS[sub].pullSecrets(merged)).map(([pods, secrets]) => [`${at}: ${pods}`, secrets ?? []]),
        ),
    );
}

const MIRROR = { imageRegistry: REGISTRY, imagePullSecrets: [PULL_SECRET] };
const pinOf = (chart: string): ChartPin => Object.values(CHARTS).find((pin) => pin.chart === chart)!;
const applyMirror = (pin: ChartPin, mirror: MirrorConfig) => imagesOf(pin.chart, mirrorValues(pin, mirror));

describe("mirrorValues", () => {
    const charts = Object.values(CHARTS);

    it("covers every pinned chart, and sets only what the mirror configures", () => {
        for (const pin of charts) {
            expect(mirrorValues(pin)).toEqual({});
            expect(mirrorValues(pin, { imagePullSecrets: [] })).toEqual({});
            const imagesOnly = mirrorValues(pin, { imageRegistry: REGISTRY, imagePullSecrets: [] });
            const secretsOnly = mirrorValues(pin, { imagePullSecrets: [PULL_SECRET] });
            expect(JSON.stringify(imagesOnly)).toContain(REGISTRY);
            expect(JSON.stringify(imagesOnly)).not.toContain(PULL_SECRET);
            expect(JSON.stringify(secretsOnly)).toContain(PULL_SECRET);
            expect(imagesOf(pin.chart, secretsOnly)).toEqual(imagesOf(pin.chart, {}));
        }
    });

    // Docker's own reading of a reference: a first component without "." or ":" is a Docker Hub
    // user, and a one-component name is Docker Hub's official image under library/.
    it.each([
        ["loki", "docker.io/grafana/loki", "grafana/loki"],
        ["kube-prometheus-stack", "quay.io/prometheus/prometheus", "prometheus/prometheus"],
        ["kube-prometheus-stack", "registry.k8s.io/kube-state-metrics/kube-state-metrics", "kube-state-metrics/kube-state-metrics"],
        ["kube-prometheus-stack", "docker.io/busybox", "library/busybox"],
        ["dcgm-exporter", "nvcr.io/nvidia/k8s/dcgm-exporter", "nvidia/k8s/dcgm-exporter"],
        ["tempo-distributed", "docker.io/memcached", "library/memcached"],
        ["tempo", "grafana/tempo-query", "grafana/tempo-query"],
        ["minio", "quay.io/minio/mc", "minio/mc"],
    ])("in %s, sends %s to <mirror>/%s", (chart, upstream, path) => {
        const pin = pinOf(chart);
        const before = imagesOf(chart, {}).filter((image) => image.repository === upstream);
        const after = applyMirror(pin, MIRROR);
        expect(imagePath(upstream)).toBe(path);
        expect(before.length).toBeGreaterThan(0);
        for (const { at } of before) expect(after.find((image) => image.at === at)?.repository).toBe(`${REGISTRY}/${path}`);
    });

    it.each(charts.map((pin) => [pin.chart, pin] as const))("sends every image of %s, subcharts included, to the mirror", (_chart, pin) => {
        // The subcharts' image keys are written out above, from the versions the chart depends on.
        const subcharts = MODELS[pin.chart].subcharts ?? [];
        const dependencies: { name: string; version: string }[] = subcharts.length
            ? YAML.parse(chartFile(pin, "Chart.yaml")).dependencies
            : [];
        for (const { chart, version } of subcharts) {
            expect({ chart, version: dependencies.find((d) => d.name === chart)?.version }).toEqual({ chart, version });
        }
        const images = applyMirror(pin, MIRROR);
        expect(images.length).toBeGreaterThan(0);
        expect(images.filter((image) => !image.repository.startsWith(`${REGISTRY}/`))).toEqual([]);
    });
});

/** Every release the program registered: its chart name (as pinned), source, version and values. */
function releasesOf(run: ProgramRun) {
    expect(run.error).toBeUndefined();
    return helmReleases(run).map((r) => {
        const pin = Object.values(CHARTS).find((p) => r.inputs.chart === p.chart || r.inputs.chart.endsWith(`/${p.chart}`))!;
        return { name: r.inputs.name as string, pin, inputs: r.inputs, values: r.inputs.values as Values };
    });
}

const leaves = (value: unknown, at: string[] = []): [string, string][] =>
    isMap(value) && Object.keys(value).length
        ? Object.entries(value).flatMap(([k, v]) => leaves(v, [...at, k]))
        : [[at.join("."), JSON.stringify(value)]];

// The configs a mirror must cover: the dev profile as it is, and one with every alternative on
// (Alloy instead of Promtail, the production profile with MinIO object storage, tempo-distributed
// on Kafka, Loki simple-scalable, replicated Grafana on PostgreSQL).
const CONFIGS: [string, Values, string[]][] = [
    ["dev", {}, ["promtail", "tempo"]],
    [
        "production",
        {
            profile: "production",
            objectStorage: { provider: "minio" },
            tempo: { kafka: { address: "kafka-bootstrap.kafka.svc:9092" } },
            logs: { shipper: "alloy" },
            grafana: {
                database: {
                    type: "postgres",
                    host: "grafana-db.example.internal:5432",
                    name: "grafana",
                    user: "grafana",
                    password: { secure: "v1:example" },
                },
            },
        },
        ["alloy", "minio", "tempo-distributed"],
    ],
];

describe.each(CONFIGS)("the %s stack with a mirror", (_name, config, alternatives) => {
    const runs: Record<string, ProgramRun> = {};
    beforeAll(async () => {
        runs.upstream = await runIndex(stackConfig(config));
        runs.oci = await runIndex(stackConfig({ ...config, mirror: { ...MIRROR, chartRepository: OCI_CHARTS } }));
        runs.http = await runIndex(stackConfig({ ...config, mirror: { ...MIRROR, chartRepository: HTTP_CHARTS } }));
    });

    it("takes every chart from the OCI mirror, and every image every chart renders from the mirror registry", () => {
        expect(releasesOf(runs.oci).map((r) => r.pin.chart)).toEqual(expect.arrayContaining(alternatives));
        const escaped = releasesOf(runs.oci).flatMap(({ name, pin, inputs, values }) => [
            ...(inputs.chart === `${OCI_CHARTS}/${pin.chart}` && inputs.repositoryOpts === undefined && inputs.version === pin.version
                ? []
                : [`${name}: chart ${inputs.chart} ${JSON.stringify(inputs.repositoryOpts)}`]),
            ...imagesOf(pin.chart, values)
                .filter((image) => !image.repository.startsWith(`${REGISTRY}/`))
                .map((image) => `${name} > ${image.at}: ${image.repository}`),
        ]);
        expect(escaped).toEqual([]);
    });

    it("takes every chart by name from an HTTP mirror repository, with the same values as from an OCI one", () => {
        const oci = releasesOf(runs.oci);
        for (const { name, pin, inputs, values } of releasesOf(runs.http)) {
            expect({ chart: inputs.chart, repo: inputs.repositoryOpts?.repo, version: inputs.version }).toEqual({
                chart: pin.chart,
                repo: HTTP_CHARTS,
                version: pin.version,
            });
            expect(values).toEqual(oci.find((r) => r.name === name)!.values);
            expect(imagesOf(pin.chart, values).every((image) => image.repository.startsWith(`${REGISTRY}/`))).toBe(true);
        }
    });

    it("keeps each image's path (as Docker names it) and its tag or digest as the chart pins it", () => {
        const upstream = releasesOf(runs.upstream);
        for (const { name, pin, values } of releasesOf(runs.oci)) {
            const before = imagesOf(pin.chart, upstream.find((r) => r.name === name)!.values);
            const expected = before.map((image) => ({ ...image, repository: `${REGISTRY}/${image.path ?? imagePath(image.repository)}` }));
            expect(imagesOf(pin.chart, values)).toEqual(expected);
        }
    });

    it("pulls every pod's images with the mirror's pull secrets, in each chart's own shape", () => {
        const missing = releasesOf(runs.oci).flatMap(({ name, pin, values }) =>
            Object.entries(pullSecretsOf(pin.chart, values))
                .filter(([, secrets]) => JSON.stringify(secrets) !== JSON.stringify([{ name: PULL_SECRET }]))
                .map(([pods, secrets]) => `${name} > ${pods}: ${JSON.stringify(secrets)}`),
        );
        expect(missing).toEqual([]);
    });

    it("changes nothing in the values but registries, repositories and pull secrets", () => {
        const upstream = releasesOf(runs.upstream);
        const changed = releasesOf(runs.oci).flatMap(({ name, values }) => {
            const before = new Map(leaves(upstream.find((r) => r.name === name)!.values));
            return leaves(values)
                .filter(([at, value]) => before.get(at) !== value)
                .map(([at]) => `${name}: ${at}`);
        });
        expect(changed.length).toBeGreaterThan(0);
        const image =
            /(^|\.)(registry|imageRegistry|repository|pullSecrets|imagePullSecrets|prometheusDefaultBaseImage|alertmanagerDefaultBaseImage)(\.\d+)?$/;
        expect(changed.filter((at) => !image.test(at.split(": ")[1]))).toEqual([]);
    });
});
