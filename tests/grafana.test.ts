import YAML from "yaml";
import { DATASOURCE_UIDS, grafanaDatasources } from "../components/datasources";
import { DASHBOARD_LABEL, grafanaValues } from "../components/grafana";
import { validateStackConfig } from "../config";
import { isSecretEnvelope } from "../scripts/lib/secrets";
import { devStackConfig, ProgramRun, runIndex, valuesOf } from "./helpers/run";

const URLS = {
    prometheus: "http://kube-prometheus-stack-prometheus.observability.svc.cluster.local:9090",
    alertmanager: "http://kube-prometheus-stack-alertmanager.observability.svc.cluster.local:9093",
    loki: "http://loki.observability.svc.cluster.local:3100",
    tempo: "http://tempo.observability.svc.cluster.local:3200",
};
const values = (grafana: Record<string, unknown> = {}, storageClass?: string): any =>
    grafanaValues({
        settings: validateStackConfig({ grafana }).grafana,
        storageClass,
        serviceMonitors: true,
        releaseName: "grafana",
        namespace: "observability",
        adminSecretName: "grafana-admin",
        datasources: URLS,
    });

describe("Grafana values", () => {
    it("take the admin credentials from a Secret, never as values", () => {
        expect(values().admin).toEqual({ existingSecret: "grafana-admin", userKey: "admin-user", passwordKey: "admin-password" });
        expect(values()).not.toHaveProperty("adminPassword");
    });

    it("provision a datasource with a fixed uid for each backend", () => {
        const datasources = values().datasources["datasources.yaml"].datasources;
        expect(datasources.map((d: any) => ({ type: d.type, uid: d.uid, url: d.url }))).toEqual([
            { type: "prometheus", uid: DATASOURCE_UIDS.prometheus, url: URLS.prometheus },
            { type: "loki", uid: DATASOURCE_UIDS.loki, url: URLS.loki },
            { type: "tempo", uid: DATASOURCE_UIDS.tempo, url: URLS.tempo },
            { type: "alertmanager", uid: DATASOURCE_UIDS.alertmanager, url: URLS.alertmanager },
        ]);
    });

    it("load dashboards from labelled ConfigMaps in the stack's namespace, into folders", () => {
        const { dashboards } = values().sidecar;
        expect(dashboards).toMatchObject({
            enabled: true,
            label: DASHBOARD_LABEL.key,
            labelValue: DASHBOARD_LABEL.value,
            searchNamespace: ["observability"],
            folderAnnotation: "grafana_folder",
        });
    });

    it("keep anonymous access off", () => {
        expect(values()["grafana.ini"]["auth.anonymous"].enabled).toBe(false);
    });

    it("keep its database on a volume of the configured size and class", () => {
        expect(values({ storageSize: "2Gi" }, "standard").persistence).toEqual({
            enabled: true,
            size: "2Gi",
            storageClassName: "standard",
        });
    });
});

describe("datasource links", () => {
    it("link traces to logs, traces to metrics, logs to traces and exemplars to traces, by uid", () => {
        const [prometheus, loki, tempo] = grafanaDatasources(URLS) as any[];
        expect(tempo.jsonData.tracesToLogsV2.datasourceUid).toBe(DATASOURCE_UIDS.loki);
        expect(tempo.jsonData.tracesToMetrics.datasourceUid).toBe(DATASOURCE_UIDS.prometheus);
        expect(tempo.jsonData.serviceMap.datasourceUid).toBe(DATASOURCE_UIDS.prometheus);
        expect(loki.jsonData.derivedFields[0].datasourceUid).toBe(DATASOURCE_UIDS.tempo);
        // Tempo's metrics generator labels exemplars traceID (its trace_id_label_name default).
        expect(prometheus.jsonData.exemplarTraceIdDestinations[0]).toEqual({ name: "traceID", datasourceUid: DATASOURCE_UIDS.tempo });
    });

    it("find a trace id in a log line the way logfmt and JSON loggers write it", () => {
        const [, loki] = grafanaDatasources(URLS) as any[];
        const matcher = new RegExp(loki.jsonData.derivedFields[0].matcherRegex);
        const id = "4bf92f3577b34da6a3ce929d0e0e4736";
        expect(matcher.exec(`level=info trace_id=${id} msg=done`)?.[1]).toBe(id);
        expect(matcher.exec(`{"traceID":"${id}","msg":"done"}`)?.[1]).toBe(id);
        expect(matcher.exec("level=info msg=no-trace")).toBeNull();
    });

    it("omit every datasource and link to a backend that is not installed", () => {
        expect(grafanaDatasources({ prometheus: URLS.prometheus })).toEqual([
            expect.objectContaining({ type: "prometheus", jsonData: { httpMethod: "POST" } }),
        ]);
    });
});

describe("the Grafana admin password", () => {
    let run: ProgramRun;
    beforeAll(async () => {
        run = await runIndex(devStackConfig());
    });

    it("is generated with @pulumi/random", () => {
        const password = run.resources.find((r) => r.type === "random:index/randomPassword:RandomPassword");
        expect(password?.inputs).toMatchObject({ length: 32 });
    });

    it("reaches Kubernetes only inside the Secret the chart references, as a Pulumi secret", () => {
        const secretName = valuesOf(run, "grafana").admin.existingSecret;
        const secret = run.resources.find((r) => r.type === "kubernetes:core/v1:Secret" && r.inputs.metadata.name === secretName);
        expect(secret).toBeDefined();
        expect(isSecretEnvelope(secret?.inputs.stringData)).toBe(true);
        expect(secret?.inputs.stringData.value).toEqual({ "admin-user": "admin", "admin-password": "offline-plan-generated-password" });
        expect(run.resources.find((r) => r.inputs?.name === "grafana")?.dependencies).toContain(secret?.urn);
    });

    it("appears in no Helm values", () => {
        const everyValue = YAML.stringify(run.resources.filter((r) => r.type.startsWith("kubernetes:helm")).map((r) => r.inputs.values));
        expect(everyValue).not.toContain("offline-plan-generated-password");
        expect(everyValue).not.toContain("1b47061264138c4ac30d75fd1eb44270");
    });
});

describe("OpenID Connect login", () => {
    const oidc = {
        enabled: true,
        clientId: "grafana",
        clientSecret: "s3cr3t-client-secret",
        authUrl: "https://id.example.com/auth",
        tokenUrl: "https://id.example.com/token",
        apiUrl: "https://id.example.com/userinfo",
        roleAttributePath: "contains(groups[*], 'gpu-admins') && 'Admin' || 'Viewer'",
    };

    it("is off by default", () => {
        expect(values()["grafana.ini"]).not.toHaveProperty("auth.generic_oauth");
        expect(values()).not.toHaveProperty("envFromSecrets");
    });

    it("configures Grafana's generic OAuth from config, with PKCE", () => {
        const ini = values({ oidc })["grafana.ini"]["auth.generic_oauth"];
        expect(ini).toMatchObject({
            enabled: true,
            client_id: "grafana",
            auth_url: oidc.authUrl,
            token_url: oidc.tokenUrl,
            api_url: oidc.apiUrl,
            use_pkce: true,
            role_attribute_path: oidc.roleAttributePath,
        });
        expect(ini).not.toHaveProperty("client_secret");
    });

    it("hands the client secret to Grafana only through a Kubernetes Secret, as a Pulumi secret", async () => {
        const { runIndex, stackConfig } = await import("./helpers/run");
        const run = await runIndex(stackConfig({ grafana: { oidc } }));
        const secret = run.resources.find((r) => r.type === "kubernetes:core/v1:Secret" && r.inputs.metadata.name === "grafana-oidc");
        expect(isSecretEnvelope(secret?.inputs.stringData)).toBe(true);
        expect(secret?.inputs.stringData.value).toEqual({ GF_AUTH_GENERIC_OAUTH_CLIENT_SECRET: oidc.clientSecret });
        expect(valuesOf(run, "grafana").envFromSecrets).toEqual([{ name: "grafana-oidc" }]);
        const helmValues = JSON.stringify(run.resources.filter((r) => r.type.startsWith("kubernetes:helm")).map((r) => r.inputs.values));
        expect(helmValues).not.toContain(oidc.clientSecret);
    });

    it.each(["clientId", "clientSecret", "authUrl", "tokenUrl", "apiUrl"])("refuses OIDC login without %s", (key) => {
        const partial: Record<string, unknown> = { ...oidc };
        delete partial[key];
        expect(() => validateStackConfig({ grafana: { oidc: partial } })).toThrow(new RegExp(`grafana.oidc.${key}: is missing`));
    });

    it("refuses a provider endpoint that is not https", () => {
        expect(() => validateStackConfig({ grafana: { oidc: { ...oidc, tokenUrl: "http://id.example.com/token" } } })).toThrow(
            /grafana.oidc.tokenUrl: "http:\/\/id.example.com\/token" is not an https:\/\/ URL/,
        );
    });
});

describe("the trace-to-metrics link", () => {
    const { parser } = require("@prometheus-io/lezer-promql") as {
        parser: { parse(text: string): { iterate(visit: { enter(node: { type: { isError: boolean } }): void }): void } };
    };
    const errorsIn = (query: string) => {
        let errors = 0;
        parser.parse(query).iterate({ enter: (node) => void (node.type.isError && errors++) });
        return errors;
    };
    // Grafana first turns the provisioning escape `$$` back into `$`, then replaces $__tags with the
    // span's mapped tags, e.g. service="checkout".
    const asGrafanaSends = (query: string) => query.replace(/\$\$/g, "$").replace("$__tags", 'service="checkout"');

    it("opens its service's request rate, errors and p95 latency from span metrics", () => {
        const [, , tempo] = grafanaDatasources(URLS) as any[];
        expect(tempo.jsonData.tracesToMetrics.queries.map((q: any) => q.name)).toEqual(["Request rate", "Error rate", "p95 latency"]);
        // Escaped: Grafana's provisioning would expand a bare $__tags as an (unset) environment variable.
        for (const { query } of tempo.jsonData.tracesToMetrics.queries)
            expect(query).toMatch(/traces_spanmetrics_(calls_total|latency_bucket)\{\$\$__tags/);
    });

    it("sends PromQL that parses", () => {
        const [, , tempo] = grafanaDatasources(URLS) as any[];
        for (const { query } of tempo.jsonData.tracesToMetrics.queries) expect(errorsIn(asGrafanaSends(query))).toBe(0);
        expect(errorsIn(asGrafanaSends("sum(rate(traces_spanmetrics_calls_total{$__tags}[5m])"))).toBeGreaterThan(0);
    });
});
