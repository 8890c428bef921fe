import * as fs from "fs";
import * as path from "path";
import YAML from "yaml";
import { DATASOURCE_UIDS, grafanaDatasources } from "../components/datasources";
import { DASHBOARD_LABEL, grafanaPods, grafanaValues } from "../components/grafana";
import { spreadAffinity, topologySpread } from "../components/placement";
import { validateStackConfig } from "../config";
import { isSecretEnvelope } from "../scripts/lib/secrets";
import { releaseServing } from "./fixtures/renderedServices";
import { devStackConfig, PROJECT_DIR, ProgramRun, runIndex, stackConfig, valuesOf } from "./helpers/run";

const URLS = {
    prometheus: "http://kube-prometheus-stack-prometheus.observability.svc.cluster.local:9090",
    alertmanager: "http://kube-prometheus-stack-alertmanager.observability.svc.cluster.local:9093",
    loki: "http://loki.observability.svc.cluster.local:3100",
    tempo: "http://tempo.observability.svc.cluster.local:3200",
};
const values = (
    grafana: Record<string, unknown> = {},
    storageClass?: string,
    extra: Partial<Parameters<typeof grafanaValues>[0]> = {},
    config: Record<string, unknown> = {},
): any =>
    grafanaValues({
        settings: validateStackConfig({ ...config, grafana }).grafana,
        storageClass,
        serviceMonitors: true,
        releaseName: "grafana",
        namespace: "observability",
        adminSecretName: "grafana-admin",
        datasources: URLS,
        ...extra,
    });
const POSTGRES = {
    type: "postgres",
    host: "grafana-db.example.internal:5432",
    name: "grafana",
    user: "grafana",
    password: "s3cr3t-db-password",
};
const CA_CERT = "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUQ2E=\n-----END CERTIFICATE-----\n";
/** A production-profile stack that validates without object storage or Kafka. */
const PRODUCTION = { profile: "production", loki: { mode: "monolithic" }, tempo: { mode: "monolithic" } };

describe("Grafana values", () => {
    it("take the admin credentials from a Secret, never as values", () => {
        expect(values().admin).toEqual({ existingSecret: "grafana-admin", userKey: "admin-user", passwordKey: "admin-password" });
        expect(values()).not.toHaveProperty("adminPassword");
    });

    it("encrypt what Grafana stores with a key of the stack's own, from the admin Secret, not the public built-in one", () => {
        expect(values().envValueFrom).toEqual({
            GF_SECURITY_SECRET_KEY: { secretKeyRef: { name: "grafana-admin", key: "secret-key" } },
        });
        expect(values()["grafana.ini"].security?.secret_key).toBeUndefined();
    });

    it("tell Grafana its public address, so no absolute link reads http://:3000/: the Ingress host, else the README's port-forward", () => {
        expect(values()["grafana.ini"].server).toEqual({ domain: "localhost", root_url: "http://localhost:3000/" });
        const readme = fs.readFileSync(path.join(PROJECT_DIR, "README.md"), "utf8");
        expect(readme).toContain("kubectl -n observability port-forward svc/grafana 3000:80");
        expect(readme).toContain("browse to http://localhost:3000");
        const ingress = { enabled: true, host: "grafana.example.com", tlsSecretName: "grafana-tls" };
        expect(values({ ingress })["grafana.ini"].server).toEqual({
            domain: "grafana.example.com",
            root_url: "https://grafana.example.com/",
        });
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

    describe("find a trace id in a log line", () => {
        const [, loki] = grafanaDatasources(URLS) as any[];
        const matcherRegex: string = loki.jsonData.derivedFields[0].matcherRegex;
        // Grafana's Loki datasource: line.match(matcherRegex), the first group is the trace id
        // (public/app/plugins/datasource/loki/getDerivedFields.ts).
        const traceIdIn = (line: string) => line.match(matcherRegex)?.[1];
        const id = "4bf92f3577b34da6a3ce929d0e0e4736";

        // OTel's log data model and Go (trace_id), Java and JavaScript loggers (traceId), Go and
        // Jaeger (traceID), .NET (TraceId), Elastic Common Schema (trace.id), HTTP-style (trace-id),
        // Python's OTel logging instrumentation (otelTraceID).
        it.each(["trace_id", "traceid", "traceId", "traceID", "TraceId", "TraceID", "trace.id", "trace-id", "otelTraceID"])(
            "spelt %s, as logfmt, JSON and YAML-ish loggers write it",
            (key) => {
                expect(traceIdIn(`level=info ${key}=${id} msg=done`)).toBe(id);
                expect(traceIdIn(`level=info ${key}="${id}" msg=done`)).toBe(id);
                expect(traceIdIn(`{"level":"info","${key}":"${id}","msg":"done"}`)).toBe(id);
                expect(traceIdIn(`{"level": "info", "${key}": "${id}"}`)).toBe(id);
                expect(traceIdIn(`INFO done ${key}: ${id}`)).toBe(id);
            },
        );

        it("and not in a line that has none, or only a span id", () => {
            expect(traceIdIn("level=info msg=no-trace")).toBeUndefined();
            expect(traceIdIn('{"span_id":"00f067aa0ba902b7","spanId":"00f067aa0ba902b7"}')).toBeUndefined();
        });
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
        expect(secret?.inputs.stringData.value).toEqual({
            "admin-user": "admin",
            "admin-password": "offline-plan-generated-password",
            "secret-key": "offline-plan-generated-password",
        });
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

describe("Grafana without a database", () => {
    it("runs one pod on SQLite, its volume kept, replaced with Recreate because the volume is ReadWriteOnce", () => {
        const v = values();
        expect(v).toMatchObject({ replicas: 1, persistence: { enabled: true }, deploymentStrategy: { type: "Recreate" } });
        expect(v["grafana.ini"]).not.toHaveProperty("database");
        expect(v).not.toHaveProperty("podDisruptionBudget");
        expect(v.headlessService).toBeFalsy();
    });
});

describe("Grafana on an external database", () => {
    const replicated = (extra = {}) =>
        values({ replicas: 2, database: POSTGRES, ...extra }, "standard", { databaseSecretName: "grafana-database" });

    it("keeps its state in the configured PostgreSQL, over TLS unless told otherwise", () => {
        expect(replicated()["grafana.ini"].database).toEqual({
            type: "postgres",
            host: "grafana-db.example.internal:5432",
            name: "grafana",
            user: "grafana",
            ssl_mode: "require",
        });
        expect(values({ database: { ...POSTGRES, sslMode: "verify-full" } })["grafana.ini"].database.ssl_mode).toBe("verify-full");
    });

    it("verifies a MySQL server against the configured CA, mounted from a ConfigMap, by the server's host name", () => {
        const v = values({ database: { ...POSTGRES, type: "mysql", host: "mysql.example.internal:3306", caCert: CA_CERT } }, undefined, {
            databaseCaConfigMapName: "grafana-database-ca",
        });
        expect(v["grafana.ini"].database).toMatchObject({
            type: "mysql",
            ssl_mode: "true",
            ca_cert_path: "/etc/grafana/database-ca/ca.crt",
            server_cert_name: "mysql.example.internal",
        });
        expect(v.extraConfigmapMounts).toEqual([
            { name: "database-ca", mountPath: "/etc/grafana/database-ca", configMap: "grafana-database-ca", readOnly: true },
        ]);
    });

    it("takes the password from the database Secret as GF_DATABASE_PASSWORD, never from its values", () => {
        const v = replicated();
        expect(v.envFromSecrets).toEqual([{ name: "grafana-database" }]);
        expect(JSON.stringify(v)).not.toContain(POSTGRES.password);
    });

    it("has no volume and rolls updates, pod by pod", () => {
        expect(replicated()).toMatchObject({ persistence: { enabled: false }, deploymentStrategy: { type: "RollingUpdate" } });
    });

    it("runs the configured replicas spread over zones and nodes, a drain taking one at a time", () => {
        const v = replicated();
        expect(v.replicas).toBe(2);
        expect(v.affinity).toEqual(spreadAffinity(grafanaPods("grafana")));
        expect(v.topologySpreadConstraints).toEqual(topologySpread(grafanaPods("grafana")));
        expect(v.podDisruptionBudget).toEqual({ maxUnavailable: 1 });
    });

    it("gives a single replica no disruption budget, which would block every drain", () => {
        expect(values({ database: POSTGRES })).not.toHaveProperty("podDisruptionBudget");
    });

    it("clusters unified alerting over the chart's headless Service, so Grafana-managed alerts notify once", () => {
        const v = replicated();
        expect(v.headlessService).toBe(true);
        const alerting = v["grafana.ini"].unified_alerting;
        expect(alerting).toEqual({
            ha_peers: "grafana-headless.observability.svc.cluster.local:9094",
            ha_listen_address: "${POD_IP}:9094",
            ha_advertise_address: "${POD_IP}:9094",
        });
        expect(releaseServing(alerting.ha_peers)).toBe("grafana");
        expect(values({ database: POSTGRES })["grafana.ini"]).not.toHaveProperty("unified_alerting");
    });

    describe("in the stack", () => {
        let run: ProgramRun;
        beforeAll(async () => {
            run = await runIndex(stackConfig({ grafana: { replicas: 2, database: { ...POSTGRES, caCert: CA_CERT } } }));
        });

        it("hands Grafana the password only inside a Kubernetes Secret, as a Pulumi secret", () => {
            const secret = run.resources.find(
                (r) => r.type === "kubernetes:core/v1:Secret" && r.inputs.metadata.name === "grafana-database",
            );
            expect(isSecretEnvelope(secret?.inputs.stringData)).toBe(true);
            expect(secret?.inputs.stringData.value).toEqual({ GF_DATABASE_PASSWORD: POSTGRES.password });
            expect(valuesOf(run, "grafana").envFromSecrets).toEqual([{ name: "grafana-database" }]);
            const helmValues = JSON.stringify(
                run.resources.filter((r) => r.type.startsWith("kubernetes:helm")).map((r) => r.inputs.values),
            );
            expect(helmValues).not.toContain(POSTGRES.password);
        });

        it("installs Grafana after its database Secret and CA ConfigMap", () => {
            const grafana = run.resources.find((r) => r.type.startsWith("kubernetes:helm") && r.inputs?.name === "grafana");
            const own = run.resources.filter((r) => ["grafana-database", "grafana-database-ca"].includes(r.inputs?.metadata?.name));
            expect(own.map((r) => r.type).sort()).toEqual(["kubernetes:core/v1:ConfigMap", "kubernetes:core/v1:Secret"]);
            for (const resource of own) expect(grafana?.dependencies).toContain(resource.urn);
        });
    });
});

describe("Grafana's containers", () => {
    it("all have explicit CPU and memory requests and limits: Grafana and its dashboard sidecar", () => {
        const v = values();
        expect(v.resources).toEqual({ requests: { cpu: "50m", memory: "128Mi" }, limits: { cpu: "500m", memory: "512Mi" } });
        expect(v.sidecar.resources).toEqual({ requests: { cpu: "10m", memory: "32Mi" }, limits: { cpu: "100m", memory: "128Mi" } });
    });

    it("include no init container: no volume chown, no dashboard download, no init-time sidecar", () => {
        const v = values();
        expect(v.initChownData).toEqual({ enabled: false });
        expect(v).not.toHaveProperty("dashboards");
        expect(v).not.toHaveProperty("extraInitContainers");
        expect(v.sidecar.dashboards).not.toHaveProperty("initDashboards");
        expect(v.sidecar.datasources).toEqual({ enabled: false });
    });

    it("are larger in the production profile, which runs two Grafanas on the database", () => {
        const v = values({ database: POSTGRES }, undefined, {}, PRODUCTION);
        expect(v.replicas).toBe(2);
        expect(v.resources).toEqual({ requests: { cpu: "250m", memory: "512Mi" }, limits: { cpu: "1", memory: "1Gi" } });
        expect(v.sidecar.resources).toEqual({ requests: { cpu: "20m", memory: "64Mi" }, limits: { cpu: "200m", memory: "256Mi" } });
    });
});
