import * as path from "path";
import YAML from "yaml";
import { promtailValues } from "../components/promtail";
import { CHARTS, validateStackConfig } from "../config";
import { chartFile } from "./helpers/shared";

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

    it("keep read positions on the node's persistent disk, not under /run, a tmpfs a reboot empties", () => {
        const v = values();
        const dir = path.posix.dirname(v.config.positions.filename);
        const mount = v.defaultVolumeMounts.find((m: any) => m.mountPath === dir);
        const volume = v.defaultVolumes.find((vol: any) => vol.name === mount.name);
        expect(volume.hostPath).toEqual({ path: "/var/lib/promtail", type: "DirectoryOrCreate" });
        expect(mount.readOnly).toBeUndefined();
        for (const vol of v.defaultVolumes) expect(vol.hostPath.path).not.toMatch(/^\/run\b/);
    });

    it("name the positions directory after the release, as Alloy's: two releases never share one", () => {
        const other: any = promtailValues(
            { settings: validateStackConfig({}).logs, serviceMonitors: true, releaseName: "logs-b", namespace: "observability" },
            PUSH_URL,
        );
        expect(other.defaultVolumes[0].hostPath.path).toBe("/var/lib/logs-b");
    });

    it("keep the chart's other default volumes, read-only: pod logs and the Docker logs they link to", () => {
        const chart = YAML.parse(chartFile(CHARTS.promtail, "values.yaml"));
        const v = values();
        const others = chart.defaultVolumes.filter((vol: any) => vol.name !== "run");
        expect(v.defaultVolumes).toEqual(expect.arrayContaining(others));
        for (const mount of chart.defaultVolumeMounts.filter((m: any) => m.name !== "run")) {
            expect(v.defaultVolumeMounts).toContainEqual({ ...mount, readOnly: true });
        }
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
