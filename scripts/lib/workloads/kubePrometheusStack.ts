// kube-prometheus-stack 88.x: the operator's Deployment and the subcharts' node-exporter
// DaemonSet and kube-state-metrics Deployment come from the chart; the Prometheus and Alertmanager
// pods are StatefulSets prometheus-operator creates from the rendered custom resources.
import { grafana } from "./grafana";
import { at, ChartInventory, Container, container, fullname, listedContainers, Values, valueOr, Volume, Workload } from "./values";

const RELOADER = "prometheusOperator.prometheusConfigReloader.resources";

/**
 * The containers prometheus-operator puts in a Prometheus or Alertmanager pod (pkg/prometheus/server/statefulset.go,
 * pkg/alertmanager/statefulset.go): the server, the config reloader beside it and once before it,
 * sized by the operator's --config-reloader-* flags, which the chart fills from
 * prometheusOperator.prometheusConfigReloader.resources. Entries of the spec's `containers` and
 * `initContainers` of the same name patch those; others are added.
 */
function operatorPod(values: Values, spec: string, main: Container, sidecars: Container[]): Container[] {
    const generated = [
        { ...container(values, "init-config-reloader", RELOADER), init: true },
        main,
        container(values, "config-reloader", RELOADER),
        ...sidecars,
    ];
    const patches = [...listedContainers(values, `${spec}.initContainers`, true), ...listedContainers(values, `${spec}.containers`, false)];
    const patched = generated.map((c) => {
        const patch = patches.find((p) => p.name === c.name && p.init === c.init);
        return patch?.resources ? patch : c;
    });
    const added = patches.filter((p) => !generated.some((c) => c.name === p.name && c.init === p.init));
    return [...patched, ...added];
}

function claim(values: Values, path: string, name: string): Volume[] {
    const size = at(values, `${path}.volumeClaimTemplate.spec.resources.requests.storage`);
    return size === undefined ? [] : [{ claim: name, size: String(size), perPod: true }];
}

// Helm names kube-prometheus-stack's objects from a fullname cut at 26 characters.
const kpsFullname = (values: Values, release: { name: string; chart: string }) => fullname(values, release).slice(0, 26).replace(/-+$/, "");

export const kubePrometheusStack: ChartInventory = (values, release) => {
    const name = kpsFullname(values, release);
    const workloads: Workload[] = [];
    const operatorOn = valueOr(values, "prometheusOperator.enabled", true);
    if (operatorOn) {
        workloads.push({
            kind: "Deployment",
            name: `${name}-operator`,
            placement: { replicas: 1 },
            containers: [container(values, valueOr(values, "nameOverride", release.chart), "prometheusOperator.resources")],
            volumes: [],
        });
        const webhooks = "prometheusOperator.admissionWebhooks";
        if (valueOr(values, `${webhooks}.deployment.enabled`, false)) {
            workloads.push({
                kind: "Deployment",
                name: `${name}-operator-webhook`,
                placement: { replicas: Number(valueOr(values, `${webhooks}.deployment.replicas`, 1)) },
                containers: [container(values, "prometheus-operator-admission-webhook", `${webhooks}.deployment.resources`)],
                volumes: [],
            });
        }
        if (
            valueOr(values, `${webhooks}.enabled`, true) &&
            valueOr(values, `${webhooks}.patch.enabled`, true) &&
            !valueOr(values, `${webhooks}.certManager.enabled`, false)
        ) {
            for (const [job, containerName] of [
                ["admission-create", "create"],
                ["admission-patch", "patch"],
            ]) {
                workloads.push({
                    kind: "Job",
                    name: `${name}-${job}`,
                    placement: { replicas: 1 },
                    containers: [container(values, containerName, `${webhooks}.patch.resources`)],
                    volumes: [],
                });
            }
        }
    }
    if (valueOr(values, "prometheus.enabled", true)) {
        const spec = "prometheus.prometheusSpec";
        const crName = `${name}-prometheus`;
        const shards = Number(valueOr(values, `${spec}.shards`, 1));
        const thanos = at(values, `${spec}.thanos`);
        const sidecars =
            thanos && !valueOr(values, "prometheus.agentMode", false)
                ? [container(values, "thanos-sidecar", `${spec}.thanos.resources`)]
                : [];
        const containers = operatorPod(values, spec, container(values, "prometheus", `${spec}.resources`), sidecars);
        // One StatefulSet per shard: prometheus-<name>, then prometheus-<name>-shard-<n>.
        for (let shard = 0; shard < shards; shard++) {
            workloads.push({
                kind: "StatefulSet",
                name: `prometheus-${crName}${shard === 0 ? "" : `-shard-${shard}`}`,
                placement: { replicas: Number(valueOr(values, `${spec}.replicas`, 1)) },
                containers,
                volumes: claim(values, `${spec}.storageSpec`, `prometheus-${crName}-db`),
                createdBy: `Prometheus/${crName}`,
            });
        }
    }
    if (valueOr(values, "alertmanager.enabled", true)) {
        const spec = "alertmanager.alertmanagerSpec";
        const crName = `${name}-alertmanager`;
        workloads.push({
            kind: "StatefulSet",
            name: `alertmanager-${crName}`,
            placement: { replicas: Number(valueOr(values, `${spec}.replicas`, 1)) },
            containers: operatorPod(values, spec, container(values, "alertmanager", `${spec}.resources`), []),
            volumes: claim(values, `${spec}.storage`, `alertmanager-${crName}-db`),
            createdBy: `Alertmanager/${crName}`,
        });
    }
    if (valueOr(values, "thanosRuler.enabled", false)) {
        const spec = "thanosRuler.thanosRulerSpec";
        const crName = `${name.slice(0, 25).replace(/-+$/, "")}-thanos-ruler`;
        workloads.push({
            kind: "StatefulSet",
            name: `thanos-ruler-${crName}`,
            placement: { replicas: Number(valueOr(values, `${spec}.replicas`, 1)) },
            containers: operatorPod(values, spec, container(values, "thanos-ruler", `${spec}.resources`), []),
            volumes: claim(values, `${spec}.storage`, `thanos-ruler-${crName}-data`),
            createdBy: `ThanosRuler/${crName}`,
        });
    }
    if (valueOr(values, "nodeExporter.enabled", true)) {
        const sub = "prometheus-node-exporter";
        const subValues = (values[sub] ?? {}) as Values;
        workloads.push({
            kind: "DaemonSet",
            name: fullname(subValues, { name: release.name, chart: sub }),
            placement: { daemonSet: "all-nodes" },
            containers: [
                ...listedContainers(values, `${sub}.extraInitContainers`, true),
                // The chart gives its permission-fix init container no resources at all.
                ...(valueOr(subValues, "permissionInitContainer.fixes.rapl", false) ||
                valueOr(subValues, "permissionInitContainer.fixes.slabinfo", false) ||
                (at(subValues, "permissionInitContainer.extraCommands") as unknown[] | undefined)?.length
                    ? [{ name: "permission-fix", init: true, from: `${sub}.permissionInitContainer (no resources key)` }]
                    : []),
                container(values, "node-exporter", `${sub}.resources`),
                ...(valueOr(subValues, "kubeRBACProxy.enabled", false)
                    ? [container(values, "kube-rbac-proxy", `${sub}.kubeRBACProxy.resources`)]
                    : []),
                ...listedContainers(values, `${sub}.sidecars`, false),
            ],
            volumes: [],
        });
    }
    if (valueOr(values, "kubeStateMetrics.enabled", true)) {
        const sub = "kube-state-metrics";
        const subValues = (values[sub] ?? {}) as Values;
        const proxy = valueOr(subValues, "kubeRBACProxy.enabled", false);
        workloads.push({
            kind: "Deployment",
            name: fullname(subValues, { name: release.name, chart: sub }),
            placement: { replicas: Number(valueOr(subValues, "replicas", 1)) },
            containers: [
                ...listedContainers(values, `${sub}.initContainers`, true),
                container(values, "kube-state-metrics", `${sub}.resources`),
                ...(proxy
                    ? ["kube-rbac-proxy-http", "kube-rbac-proxy-telemetry"].map((c) =>
                          container(values, c, `${sub}.kubeRBACProxy.resources`),
                      )
                    : []),
                ...listedContainers(values, `${sub}.containers`, false),
            ],
            volumes: [],
        });
    }
    if (valueOr(values, "windowsMonitoring.enabled", false)) {
        throw new Error("kube-prometheus-stack's windowsMonitoring is not in the footprint's inventory");
    }
    if (valueOr(values, "grafana.enabled", true)) {
        workloads.push(...grafana((values.grafana ?? {}) as Values, { name: release.name, chart: "grafana" }));
    }
    return workloads;
};
