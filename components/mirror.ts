import { ChartPin, OTEL_COLLECTOR_IMAGE } from "../config/charts";
import { mergeReplacingLists } from "../config/merge";
import { MirrorConfig } from "../config/mirror";
import { HelmValues } from "./helm";

/**
 * Where Helm takes a chart from: its upstream repository, or the mirror. An OCI mirror names the
 * chart in the reference itself (oci://registry/path/<chart>); an HTTP mirror is a repository.
 */
export function chartSource(pin: ChartPin, mirror?: MirrorConfig): { chart: string; repositoryOpts?: { repo: string } } {
    const repository = mirror?.chartRepository;
    if (repository === undefined) return { chart: pin.chart, repositoryOpts: { repo: pin.repo } };
    if (repository.startsWith("oci://")) return { chart: `${repository}/${pin.chart}` };
    return { chart: pin.chart, repositoryOpts: { repo: repository } };
}

/**
 * The path of an image repository inside its registry, as Docker reads a reference
 * (distribution/reference ParseNormalizedNamed): the first component names a registry only when it
 * holds a "." or a ":" or is "localhost"; anything else is on Docker Hub, where a one-component name
 * is an official image under library/. So `docker.io/grafana/loki` is `grafana/loki`,
 * `quay.io/prometheus/prometheus` is `prometheus/prometheus`, and `memcached` is `library/memcached`.
 */
export function imagePath(repository: string): string {
    const [first, ...rest] = repository.split("/");
    const isRegistry = rest.length > 0 && (first.includes(".") || first.includes(":") || first === "localhost");
    if (!isRegistry) return rest.length === 0 ? `library/${first}` : repository;
    const path = rest.join("/");
    const dockerHub = first === "docker.io" || first === "index.docker.io" || first === "registry-1.docker.io";
    return dockerHub && rest.length === 1 ? `library/${path}` : path;
}

/** An upstream image repository on the mirror registry, keeping its path: `<registry>/<imagePath>`. */
export const mirroredImage = (registry: string, repository: string): string => `${registry}/${imagePath(repository)}`;

type ChartKey = ChartPin["chart"];
/** Mirror values of one chart, from the mirror registry and `image(upstream)` (that image on the mirror). */
type ImageValues = (registry: string, image: (repository: string) => string) => HelmValues;
type PullSecretValues = (names: string[]) => HelmValues;

// Where each chart's templates take every image from (read in each chart's templates at the pinned
// version, subcharts included), written against its own keys. Images of parts the stack leaves off
// are sent to the mirror too, so that enabling one through extraValues cannot reach the internet.
// Tags and digests stay as the charts pin them: only registries and repositories change. Where a
// chart's global registry key reaches every image it is used, plus the images it misses.
const IMAGES: Record<ChartKey, ImageValues> = {
    // templates/_helpers.tpl "loki.image": global.imageRegistry wins over every component's
    // registry (Loki, gateway, canary, memcached and its exporter, the rules sidecar, the
    // StatefulSet-recreate kubectl job, the helm test). Its subcharts read only their own keys.
    loki: (registry, image) => ({
        global: { imageRegistry: registry },
        rollout_operator: { image: { registry } },
        minio: { image: { repository: image("quay.io/minio/minio") }, mcImage: { repository: image("quay.io/minio/mc") } },
    }),
    // templates/statefulset.yaml: the tempo container honours global.imageRegistry; tempo-query
    // (off by default) is `tempoQuery.repository:tag` with no registry key.
    tempo: (registry, image) => ({
        global: { imageRegistry: registry },
        tempoQuery: { repository: image("grafana/tempo-query") },
    }),
    // templates/_helpers.tpl "tempo.tempoImage": coalesce(component, tempo.image, global.image)
    // registry, and the StatefulSet-recreate job's kubectl takes global.image.registry. Docker Hub's
    // official memcached is `memcached` here: on the mirror it is library/memcached, Docker's own
    // expansion. The enterprise provisioner names its own registry; the subcharts read only theirs.
    // Left out: kubectlImage (no template of 3.3.0 reads it) and the integration-test pod's
    // hard-coded bats/bats (a `helm test` hook, off by default, that Pulumi never runs).
    "tempo-distributed": (registry) => ({
        global: { image: { registry } },
        memcached: { image: { repository: imagePath("memcached") } },
        provisioner: { image: { registry } },
        rollout_operator: { image: { registry } },
        "grafana-agent-operator": { image: { registry }, test: { image: { registry } } },
    }),
    // templates/_pod.tpl, image-renderer-deployment.yaml, tests/test.yaml: every image (Grafana,
    // the dashboard/datasource sidecars and their init containers, init-chown-data,
    // download-dashboards, the image renderer, the test framework) takes global.imageRegistry first.
    grafana: (registry) => ({ global: { imageRegistry: registry } }),
    // templates/_pod.tpl: Promtail honours global.imageRegistry, its config-reloader sidecar does not.
    promtail: (registry) => ({
        global: { imageRegistry: registry },
        sidecar: { configReloader: { image: { registry } } },
    }),
    // templates/containers/_agent.yaml and _watch.yaml: Alloy and its config reloader both take
    // global.image.registry first.
    alloy: (registry) => ({ global: { image: { registry } } }),
    // global.imageRegistry reaches Prometheus, Alertmanager, Thanos Ruler, the operator and the
    // images it is told to use (config reloader, Thanos sidecar), the admission webhook and its
    // certificate jobs, the CRD upgrade job, and the subcharts (kube-state-metrics and
    // node-exporter with their kube-rbac-proxy and init containers, windows-exporter, Grafana).
    // The operator's defaults for Prometheus and Alertmanager resources that name no image (its
    // --*-default-base-image flags) are passed only when set: unset, the operator falls back to
    // quay.io/prometheus/prometheus and quay.io/prometheus/alertmanager (prometheus-operator
    // pkg/operator). The CRD job's busybox is Docker Hub's official image: library/busybox.
    "kube-prometheus-stack": (registry) => ({
        global: { imageRegistry: registry },
        crds: { upgradeJob: { image: { busybox: { repository: imagePath("busybox") } } } },
        prometheusOperator: {
            prometheusDefaultBaseImage: imagePath("quay.io/prometheus/prometheus"),
            alertmanagerDefaultBaseImage: imagePath("quay.io/prometheus/alertmanager"),
        },
    }),
    // The chart has no default image (image.repository is ""): the stack runs the k8s distribution
    // (components/otelCollector.ts). Its global.imageRegistry would be prefixed to the repository,
    // registry and all, so the repository itself is rewritten.
    "opentelemetry-collector": (_registry, image) => ({
        image: { repository: image(OTEL_COLLECTOR_IMAGE) },
    }),
    // The repository holds the registry: templates/daemonset.yaml `image.repository:tag`.
    "dcgm-exporter": (_registry, image) => ({ image: { repository: image("nvcr.io/nvidia/k8s/dcgm-exporter") } }),
    // templates/deployment.yaml, statefulset.yaml, post-job.yaml: `repository:tag`, registry included.
    minio: (_registry, image) => ({
        image: { repository: image("quay.io/minio/minio") },
        mcImage: { repository: image("quay.io/minio/mc") },
    }),
};

const named = (names: string[]) => names.map((name) => ({ name }));

// Each chart's own shape for pull secrets: where a template copies the list with toYaml it must be
// Kubernetes' list of {name}; where it ranges over names, a list of strings.
const PULL_SECRETS: Record<ChartKey, PullSecretValues> = {
    // Every pod template copies `imagePullSecrets`; subcharts read their own.
    loki: (names) => ({
        imagePullSecrets: named(names),
        rollout_operator: { imagePullSecrets: named(names) },
        minio: { imagePullSecrets: named(names) },
    }),
    // templates/statefulset.yaml ranges over tempo.pullSecrets as names.
    tempo: (names) => ({ tempo: { pullSecrets: names } }),
    // "tempo.imagePullSecrets" ranges over coalesce(component, tempo.image, global.image).pullSecrets as names.
    "tempo-distributed": (names) => ({
        global: { image: { pullSecrets: names } },
        rollout_operator: { imagePullSecrets: named(names) },
        "grafana-agent-operator": { image: { pullSecrets: named(names) } },
    }),
    // "grafana.imagePullSecrets" takes names or {name}, global first.
    grafana: (names) => ({ global: { imagePullSecrets: named(names) } }),
    // templates/_pod.tpl copies global.imagePullSecrets (else imagePullSecrets).
    promtail: (names) => ({ global: { imagePullSecrets: named(names) } }),
    // templates/controllers/_pod.yaml copies global.image.pullSecrets.
    alloy: (names) => ({ global: { image: { pullSecrets: named(names) } } }),
    // The operator-managed pods take global.imagePullSecrets too; Thanos Ruler copies it as it is.
    "kube-prometheus-stack": (names) => ({ global: { imagePullSecrets: named(names) } }),
    "opentelemetry-collector": (names) => ({ imagePullSecrets: named(names) }),
    "dcgm-exporter": (names) => ({ imagePullSecrets: named(names) }),
    minio: (names) => ({ imagePullSecrets: named(names) }),
};

/**
 * Values that send every image of a chart to the mirror registry, each keeping its path and its
 * pinned tag, with the mirror's pull secrets on every pod. Nothing without a mirror.
 */
export function mirrorValues(pin: ChartPin, mirror?: MirrorConfig): HelmValues {
    const registry = mirror?.imageRegistry;
    const secrets = mirror?.imagePullSecrets ?? [];
    const images = registry === undefined ? {} : IMAGES[pin.chart](registry, (repository) => mirroredImage(registry, repository));
    return secrets.length === 0 ? images : mergeReplacingLists<HelmValues>(images, PULL_SECRETS[pin.chart](secrets));
}
