// Nobody gets in: no plain secrets, no Service outside the cluster unless asked, restricted pods
// but for the named exceptions, and a Pod Security level that admits exactly those.
import YAML from "yaml";
import { grafanaValues } from "../components/grafana";
import { POD_SECURITY_EXCEPTIONS, podSecurityLevel } from "../components/podSecurity";
import { validateStackConfig } from "../config";
import { maskSecrets } from "../scripts/lib/secrets";
import { devStackConfig, ProgramRun, runIndex, stackConfig, valuesOf } from "./helpers/run";

const namespaceLabels = (run: ProgramRun) => run.resources.find((r) => r.type === "kubernetes:core/v1:Namespace")?.inputs.metadata.labels;

describe("the dev stack's security", () => {
    let run: ProgramRun;
    beforeAll(async () => {
        run = await runIndex(devStackConfig());
    });

    it("keeps every Service it sets a type for inside the cluster", () => {
        expect(valuesOf(run, "grafana").service.type).toBe("ClusterIP");
        expect(valuesOf(run, "otel-collector").service.type).toBe("ClusterIP");
        expect(valuesOf(run, "tempo").service.type).toBe("ClusterIP");
        expect(valuesOf(run, "dcgm-exporter").service.type).toBe("ClusterIP");
    });

    it("publishes Grafana through no Ingress unless config asks", () => {
        expect(valuesOf(run, "grafana").ingress).toEqual({ enabled: false });
    });

    it("puts no secret into any Helm values or plain stack output", () => {
        const values = run.resources.filter((r) => r.type.startsWith("kubernetes:helm")).map((r) => r.inputs.values);
        expect(YAML.stringify(maskSecrets(values))).not.toContain("[secret]");
        expect(YAML.stringify(values)).not.toContain("offline-plan-generated-password");
        const plain = Object.entries(run.outputs).filter(([name]) => !run.secretOutputs.includes(name));
        expect(JSON.stringify(plain)).not.toContain("offline-plan-generated-password");
    });

    it("enforces the privileged Pod Security level the exceptions need, and audits against restricted", () => {
        expect(namespaceLabels(run)).toEqual({
            "pod-security.kubernetes.io/enforce": "privileged",
            "pod-security.kubernetes.io/audit": "restricted",
            "pod-security.kubernetes.io/warn": "restricted",
        });
    });

    it("runs every pod it configures non-root, read-only, without capabilities, but for the named exceptions", () => {
        const restricted = { readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } };
        expect(valuesOf(run, "loki").loki.containerSecurityContext).toMatchObject(restricted);
        expect(valuesOf(run, "tempo").tempo.securityContext).toMatchObject(restricted);
        expect(valuesOf(run, "otel-collector").securityContext).toMatchObject(restricted);
        expect(valuesOf(run, "grafana").containerSecurityContext).toMatchObject(restricted);
        expect(valuesOf(run, "kube-prometheus-stack").prometheusOperator.containerSecurityContext).toMatchObject(restricted);
        for (const release of ["loki", "otel-collector"]) {
            const pod = release === "loki" ? valuesOf(run, release).loki.podSecurityContext : valuesOf(run, release).podSecurityContext;
            expect(pod).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } });
        }
        expect(valuesOf(run, "promtail").containerSecurityContext).toMatchObject(restricted);
        expect(valuesOf(run, "dcgm-exporter").securityContext.capabilities).toEqual({ drop: ["ALL"], add: ["SYS_ADMIN"] });
    });
});

describe("the Pod Security level", () => {
    it("is restricted when no subsystem with an exception is installed", async () => {
        const off = { enabled: false };
        const run = await runIndex(stackConfig({ prometheus: off, dcgmExporter: off, logs: off }));
        expect(namespaceLabels(run)["pod-security.kubernetes.io/enforce"]).toBe("restricted");
    });

    it.each(POD_SECURITY_EXCEPTIONS.map((e) => [e.subsystem, e.workload] as const))(
        "is privileged when %s (%s) is installed",
        (subsystem) => {
            const enabled = { prometheus: false, dcgmExporter: false, logs: false, [subsystem]: true };
            expect(podSecurityLevel(enabled)).toBe("privileged");
        },
    );
});

describe("Grafana's Ingress", () => {
    const values = (ingress: Record<string, unknown>): any =>
        grafanaValues({
            settings: validateStackConfig({ grafana: { ingress } }).grafana,
            serviceMonitors: true,
            releaseName: "grafana",
            namespace: "observability",
            adminSecretName: "grafana-admin",
            datasources: {},
        });

    it("serves the configured host over TLS only, and tells Grafana its public URL", () => {
        const v = values({ enabled: true, host: "grafana.example.com", tlsSecretName: "grafana-tls", className: "nginx" });
        expect(v.ingress).toMatchObject({
            enabled: true,
            ingressClassName: "nginx",
            hosts: ["grafana.example.com"],
            tls: [{ secretName: "grafana-tls", hosts: ["grafana.example.com"] }],
        });
        expect(v["grafana.ini"].server.root_url).toBe("https://grafana.example.com/");
    });

    it.each([
        ["host", { enabled: true, tlsSecretName: "grafana-tls" }, /grafana.ingress.host: is missing/],
        [
            "tlsSecretName",
            { enabled: true, host: "grafana.example.com" },
            /grafana.ingress.tlsSecretName: is missing.*never served over plain HTTP/,
        ],
    ])("refuses an enabled Ingress without %s", (_key, ingress, message) => {
        expect(() => validateStackConfig({ grafana: { ingress } })).toThrow(message);
    });
});

describe("Loki multi-tenancy", () => {
    it("is off by default: Loki accepts pushes and queries without a tenant", async () => {
        const run = await runIndex(devStackConfig());
        expect(YAML.parse(valuesOf(run, "loki").loki.config).auth_enabled).toBe(false);
        expect(valuesOf(run, "promtail").config.clients[0]).not.toHaveProperty("tenant_id");
    });

    it("sends the configured tenant consistently from the log shipper and Grafana", async () => {
        const run = await runIndex(stackConfig({ loki: { tenant: "tokkio" } }));
        expect(YAML.parse(valuesOf(run, "loki").loki.config).auth_enabled).toBe(true);
        expect(valuesOf(run, "promtail").config.clients[0].tenant_id).toBe("tokkio");
        const loki = valuesOf(run, "grafana").datasources["datasources.yaml"].datasources.find((d: any) => d.type === "loki");
        expect(loki.jsonData.httpHeaderName1).toBe("X-Scope-OrgID");
        expect(loki.secureJsonData.httpHeaderValue1).toBe("tokkio");
    });
});
