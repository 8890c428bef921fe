import { DASHBOARD_LABEL } from "../components/grafana";
import { prometheusValues, retentionSizeFor } from "../components/prometheus";
import { validateStackConfig } from "../config";
import { runUserProgram } from "./helpers/run";

const values = (prometheus: Record<string, unknown> = {}, storageClass?: string): any =>
    prometheusValues({
        settings: validateStackConfig({ prometheus }).prometheus,
        storageClass,
        serviceMonitors: true,
        releaseName: "kube-prometheus-stack",
    });

describe("kube-prometheus-stack values", () => {
    it("install Prometheus, Alertmanager, the operator, node-exporter and kube-state-metrics", () => {
        const v = values();
        expect(v.prometheus.enabled).toBe(true);
        expect(v.alertmanager.enabled).toBe(true);
        expect(v.prometheusOperator.enabled).toBe(true);
        expect(v.nodeExporter.enabled).toBe(true);
        expect(v.kubeStateMetrics.enabled).toBe(true);
    });

    it("turn the bundled Grafana off but still deploy its dashboards for our Grafana's sidecar", () => {
        const { grafana } = values();
        expect(grafana).toMatchObject({ enabled: false, forceDeployDashboards: true, forceDeployDatasources: false });
        expect(grafana.sidecar.dashboards).toEqual({ label: DASHBOARD_LABEL.key, labelValue: DASHBOARD_LABEL.value });
    });

    it.each(["serviceMonitor", "podMonitor", "rule", "probe", "scrapeConfig"])(
        "select every %s in every namespace, whatever its labels",
        (kind) => {
            const spec = values().prometheus.prometheusSpec;
            expect(spec[`${kind}SelectorNilUsesHelmValues`]).toBe(false);
            expect(spec[`${kind}Selector`]).toEqual({});
            expect(spec[`${kind}NamespaceSelector`]).toEqual({});
        },
    );

    it("take retention, scrape interval and storage from config", () => {
        const spec = values({ retention: "30d", storageSize: "100Gi", scrapeInterval: "15s" }, "fast-ssd").prometheus.prometheusSpec;
        expect(spec.retention).toBe("30d");
        expect(spec.scrapeInterval).toBe("15s");
        expect(spec.retentionSize).toBe("92160MB");
        expect(spec.storageSpec.volumeClaimTemplate.spec).toEqual({
            accessModes: ["ReadWriteOnce"],
            resources: { requests: { storage: "100Gi" } },
            storageClassName: "fast-ssd",
        });
    });

    it("keep Alertmanager's state on its own volume", () => {
        const spec = values({ alertmanagerStorageSize: "2Gi" }).alertmanager.alertmanagerSpec;
        expect(spec.storage.volumeClaimTemplate.spec.resources.requests.storage).toBe("2Gi");
    });

    it("receive remote writes and store exemplars, for Tempo's metrics and trace links", () => {
        const spec = values().prometheus.prometheusSpec;
        expect(spec.enableRemoteWriteReceiver).toBe(true);
        expect(spec.enableFeatures).toContain("exemplar-storage");
    });

    it("run node-exporter on every node, GPU nodes included", () => {
        expect(values()["prometheus-node-exporter"].tolerations).toEqual([{ operator: "Exists" }]);
    });

    it("size Prometheus from config", () => {
        expect(values({ resources: { requests: { memory: "1Gi" } } }).prometheus.prometheusSpec.resources.requests.memory).toBe("1Gi");
    });
});

describe("retentionSizeFor", () => {
    it.each([
        ["10Gi", "9216MB"],
        ["20Gi", "18432MB"],
        ["500Mi", "450MB"],
    ])("stops Prometheus at 90%% of a %s volume (%s)", (size, expected) => {
        expect(retentionSizeFor(size)).toBe(expected);
    });
});

describe("the Prometheus component", () => {
    it("exports the Prometheus and Alertmanager Service URLs of its release", async () => {
        const run = await runUserProgram(({ Prometheus }) => {
            const prometheus = new Prometheus("metrics", { namespace: "mon", settings: validateStackConfig({}).prometheus });
            return { prometheus: prometheus.prometheusUrl, alertmanager: prometheus.alertmanagerUrl };
        });
        expect(run.outputs).toEqual({
            prometheus: "http://kube-prometheus-stack-prometheus.mon.svc.cluster.local:9090",
            alertmanager: "http://kube-prometheus-stack-alertmanager.mon.svc.cluster.local:9093",
        });
    });
});
