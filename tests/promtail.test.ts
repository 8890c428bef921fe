import { promtailValues } from "../components/promtail";
import { validateStackConfig } from "../config";

const PUSH_URL = "http://loki.observability.svc.cluster.local:3100/loki/api/v1/push";
// Production without the object store, Kafka and database its Loki, Tempo and Grafana need:
// this subsystem's production defaults apply all the same.
const SINGLE_PODS = { loki: { mode: "monolithic" }, tempo: { mode: "monolithic" }, grafana: { replicas: 1 } };
const values = (logs: Record<string, unknown> = {}): any =>
    promtailValues(
        { settings: validateStackConfig({ logs }).logs, serviceMonitors: true, releaseName: "promtail", namespace: "observability" },
        PUSH_URL,
    );

describe("Promtail values", () => {
    it("run a DaemonSet on every node, whatever its taints (GPU nodes included)", () => {
        const v = values();
        expect(v.daemonset.enabled).toBe(true);
        expect(v.deployment.enabled).toBe(false);
        expect(v.tolerations).toEqual([{ operator: "Exists" }]);
    });

    it("push to the given Loki push URL, retrying with backoff", () => {
        const [client] = values().config.clients;
        expect(client.url).toBe(PUSH_URL);
        expect(client.backoff_config).toEqual({ min_period: "500ms", max_period: "5m", max_retries: 10 });
    });

    it("label lines by node as well as namespace, pod, container and app", () => {
        // The chart's own pod job sets namespace, pod, container and app; node comes from ours.
        expect(values().config.snippets.extraRelabelConfigs).toEqual([
            { action: "replace", source_labels: ["__meta_kubernetes_pod_node_name"], target_label: "node" },
            { action: "labeldrop", regex: "node_name" },
        ]);
    });

    it("keep read positions on the host across pod restarts", () => {
        expect(values().config.positions.filename).toBe("/run/promtail/positions.yaml");
    });

    it("read host logs as root with no capabilities and a read-only root filesystem", () => {
        const v = values();
        expect(v.podSecurityContext.runAsUser).toBe(0);
        expect(v.containerSecurityContext).toMatchObject({
            readOnlyRootFilesystem: true,
            allowPrivilegeEscalation: false,
            capabilities: { drop: ["ALL"] },
        });
    });

    it("size the container from config", () => {
        expect(values({ resources: { limits: { memory: "512Mi" } } }).resources.limits.memory).toBe("512Mi");
    });

    it("size the container per profile: a node of the dev cluster, a busy GPU node in production", () => {
        const sized = (profile: string) =>
            promtailValues(
                {
                    settings: validateStackConfig({ profile, ...SINGLE_PODS }).logs,
                    serviceMonitors: true,
                    releaseName: "promtail",
                    namespace: "observability",
                },
                PUSH_URL,
            ).resources;
        expect(sized("dev")).toEqual({ requests: { cpu: "50m", memory: "64Mi" }, limits: { cpu: "200m", memory: "256Mi" } });
        expect(sized("production")).toEqual({ requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "1", memory: "512Mi" } });
    });

    it("run no container the values leave unsized: the chart's config reloader stays off", () => {
        const v = values();
        expect(v.sidecar).toBeUndefined();
        expect(v.extraContainers).toBeUndefined();
        expect(v.initContainer).toBeUndefined();
    });
});
