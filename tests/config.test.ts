// Stack config: one zod schema, Kubernetes' and Prometheus' own formats, and errors that name the
// full key, say what was wrong and what is allowed, before anything is registered.
import { DEFAULT_DCGM_COUNTERS, goDuration, parseDuration, parseQuantity, stackConfigSchema, validateStackConfig } from "../config";
import { ConfigError } from "../config/errors";
import { runIndex, stackConfig } from "./helpers/run";

describe("Kubernetes quantities (apimachinery's grammar)", () => {
    it.each([
        ["500m", 0.5],
        ["2", 2],
        ["1.5", 1.5],
        ["128Mi", 128 * 2 ** 20],
        ["1.5Gi", 1.5 * 2 ** 30],
        ["10G", 1e10],
        ["1e3", 1000],
        ["100k", 1e5],
        [".5Ki", 512],
    ])("reads %s as %d", (text, value) => {
        expect(parseQuantity(text)).toBeCloseTo(value);
    });

    it.each(["", "10GB", "1.5 Gi", "Gi", "ten", "1h", "10gi", "1..5", "--1"])("refuses %j", (text) => {
        expect(parseQuantity(text)).toBeUndefined();
    });
});

describe("durations (Prometheus' grammar)", () => {
    it.each([
        ["30s", 30_000],
        ["7d", 7 * 86_400_000],
        ["1h30m", 5_400_000],
        ["2w", 14 * 86_400_000],
        ["500ms", 500],
    ])("reads %s as %d ms", (text, ms) => {
        expect(parseDuration(text)).toBe(ms);
    });

    it.each(["", "7 days", "1.5h", "30m1h", "-1d", "7D", "h"])("refuses %j", (text) => {
        expect(parseDuration(text)).toBeUndefined();
    });

    it.each([
        ["7d", "168h"],
        ["3d", "72h"],
        ["90m", "90m"],
        ["45s", "45s"],
        ["1500ms", "1500ms"],
    ])("writes %s as the Go duration %s for Tempo", (prom, go) => {
        expect(goDuration(prom)).toBe(go);
    });
});

describe("defaults", () => {
    const config = validateStackConfig({});

    it("fills every subsystem in, enabled", () => {
        for (const key of ["loki", "tempo", "prometheus", "dcgmExporter", "logs", "otelCollector", "grafana"] as const) {
            expect(config[key].enabled).toBe(true);
            expect(config[key].extraValues).toEqual({});
        }
    });

    it("uses namespace observability, 7 days of logs, Promtail and the GPU feature discovery label", () => {
        expect(config.namespace).toBe("observability");
        expect(config.storageClass).toBeUndefined();
        expect(config.loki.retention).toBe("7d");
        expect(config.logs.shipper).toBe("promtail");
        expect(config.dcgmExporter.nodeSelector).toEqual({ "nvidia.com/gpu.present": "true" });
        expect(config.dcgmExporter.tolerations).toEqual([{ key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" }]);
    });

    it("keeps a subsystem's other defaults when one of its keys is set", () => {
        const partial = validateStackConfig({ loki: { retention: "3d", resources: { limits: { memory: "2Gi" } } } });
        expect(partial.loki.storageSize).toBe("10Gi");
        expect(partial.loki.resources).toEqual({ requests: { cpu: "100m", memory: "256Mi" }, limits: { cpu: "1", memory: "2Gi" } });
    });

    it("accepts its own output again unchanged", () => {
        expect(stackConfigSchema.parse(config)).toEqual(config);
    });
});

// Each bad config: the full key named, and words of what was wrong and of what is allowed.
const BAD_CONFIGS: [string, Record<string, unknown>, string, RegExp][] = [
    [
        "an unknown top-level key",
        { lokii: {} },
        "gpu-observability:lokii",
        /not a known key; allowed here: profile, namespace, storageClass, networkPolicies, objectStorage, mirror, loki/,
    ],
    ["an unknown subsystem key", { loki: { retension: "7d" } }, "gpu-observability:loki.retension", /allowed here: enabled, retention/],
    ["an invalid namespace", { namespace: "Observability" }, "gpu-observability:namespace", /not a valid name; use lower-case letters/],
    ["a namespace that is too long", { namespace: "a".repeat(64) }, "gpu-observability:namespace", /at most 63/],
    ["an invalid StorageClass name", { storageClass: "Fast SSD" }, "gpu-observability:storageClass", /not a valid object name/],
    [
        "a retention that is no duration",
        { loki: { retention: "7 days" } },
        "gpu-observability:loki.retention",
        /not a positive duration; use .* 7d/,
    ],
    ["a zero retention", { tempo: { retention: "0d" } }, "gpu-observability:tempo.retention", /not a positive duration/],
    [
        "a storage size that is no quantity",
        { loki: { storageSize: "10GB" } },
        "gpu-observability:loki.storageSize",
        /not a positive Kubernetes quantity; use .* 10Gi/,
    ],
    [
        "a negative storage size",
        { prometheus: { storageSize: "-5Gi" } },
        "gpu-observability:prometheus.storageSize",
        /not a positive Kubernetes quantity/,
    ],
    [
        "a CPU request that is no quantity",
        { grafana: { resources: { requests: { cpu: "lots" } } } },
        "gpu-observability:grafana.resources.requests.cpu",
        /use cores or millicores such as 250m/,
    ],
    [
        "a request above its limit",
        { tempo: { resources: { requests: { memory: "4Gi" } } } },
        "gpu-observability:tempo.resources.requests.memory",
        /more than the limit 1Gi/,
    ],
    ["a boolean given as text", { loki: { enabled: "no" } }, "gpu-observability:loki.enabled", /expected boolean, got string "no"/],
    [
        "a subsystem given as text",
        { prometheus: "on" },
        "gpu-observability:prometheus",
        /expected a map of enabled, retention, storageSize, .*, got string "on"/,
    ],
    [
        "a log shipper that does not exist",
        { logs: { shipper: "fluentd" } },
        "gpu-observability:logs.shipper",
        /"fluentd" is not allowed; use one of "promtail"/,
    ],
    [
        "an invalid node selector label key",
        { dcgmExporter: { nodeSelector: { "nvidia com/gpu": "true" } } },
        "gpu-observability:dcgmExporter.nodeSelector.nvidia com/gpu",
        /not a valid label key/,
    ],
    [
        "an invalid node selector label value",
        { dcgmExporter: { nodeSelector: { "nvidia.com/gpu.present": "yes please" } } },
        "gpu-observability:dcgmExporter.nodeSelector.nvidia.com/gpu.present",
        /not a valid label value/,
    ],
    [
        "an empty node selector",
        { dcgmExporter: { nodeSelector: {} } },
        "gpu-observability:dcgmExporter.nodeSelector",
        /restricted to GPU nodes/,
    ],
    [
        "a toleration with an unknown operator",
        { dcgmExporter: { tolerations: [{ key: "nvidia.com/gpu", operator: "Maybe" }] } },
        "gpu-observability:dcgmExporter.tolerations[0].operator",
        /use one of "Exists", "Equal"/,
    ],
    [
        "a counter that is no DCGM field",
        { dcgmExporter: { counters: [{ field: "GPU_UTIL", type: "gauge", help: "x" }] } },
        "gpu-observability:dcgmExporter.counters[0].field",
        /DCGM_FI_\* name/,
    ],
    ["an empty counter list", { dcgmExporter: { counters: [] } }, "gpu-observability:dcgmExporter.counters", /minimum is 1/],
    ["a fractional replica count", { otelCollector: { replicas: 1.5 } }, "gpu-observability:otelCollector.replicas", /expected int/],
    [
        "an invalid Grafana admin user",
        { grafana: { adminUser: "admin user" } },
        "gpu-observability:grafana.adminUser",
        /not a valid user name/,
    ],
    [
        "extra values that are not an object",
        { grafana: { extraValues: ["a"] } },
        "gpu-observability:grafana.extraValues",
        /expected record, got a list/,
    ],
    [
        "a Service type that does not exist",
        { grafana: { serviceType: "Public" } },
        "gpu-observability:grafana.serviceType",
        /use one of "ClusterIP", "NodePort", "LoadBalancer"/,
    ],
    [
        "an Ingress host that is no DNS name",
        { grafana: { ingress: { enabled: true, host: "https://grafana", tlsSecretName: "tls" } } },
        "gpu-observability:grafana.ingress.host",
        /not a host name/,
    ],
    [
        "an Ingress without a TLS certificate",
        { grafana: { ingress: { enabled: true, host: "grafana.example.com" } } },
        "gpu-observability:grafana.ingress.tlsSecretName",
        /is missing/,
    ],
    ["a Loki tenant with a slash", { loki: { tenant: "team/a" } }, "gpu-observability:loki.tenant", /not a valid tenant id/],
    ["a negative queue size", { otelCollector: { queue: { size: -1 } } }, "gpu-observability:otelCollector.queue.size", /minimum is 1/],
    [
        "a retry window that is no duration",
        { otelCollector: { queue: { retryWindow: "forever" } } },
        "gpu-observability:otelCollector.queue.retryWindow",
        /not a positive duration/,
    ],
    [
        "network policies given as a boolean",
        { networkPolicies: false },
        "gpu-observability:networkPolicies",
        /expected a map of enabled, got boolean false/,
    ],
    [
        "alert receivers without Prometheus",
        { prometheus: { enabled: false }, alerts: { receivers: [{ name: "hooks", webhook: { url: "https://hooks.example.com/a" } }] } },
        "gpu-observability:alerts.receivers",
        /are set while prometheus.enabled is false/,
    ],
    [
        "an unknown key inside a receiver",
        { alerts: { receivers: [{ name: "hooks", webhook: { url: "https://hooks.example.com/a" }, channel: "#x" }] } },
        "gpu-observability:alerts.receivers[0].channel",
        /not a known key; allowed here: name, severities, webhook/,
    ],
    [
        "logs shipped to a disabled Loki",
        { loki: { enabled: false } },
        "gpu-observability:logs.enabled",
        /loki.enabled is false.*enable loki or set logs.enabled: false/,
    ],
    [
        "traces exported to a disabled Tempo",
        { tempo: { enabled: false } },
        "gpu-observability:otelCollector.enabled",
        /enable tempo or set otelCollector.enabled: false/,
    ],
];

describe("bad stack config", () => {
    it.each(BAD_CONFIGS)("refuses %s, naming the key", async (_what, config, key, message) => {
        const run = await runIndex(stackConfig(config));
        expect(run.error).toBeInstanceOf(Error);
        const line = run.error!.message.split("\n").find((l) => l.includes(`${key}:`));
        expect(line).toBeDefined();
        expect(line).toMatch(message);
        expect(run.resources).toEqual([]);
    });

    it("lists every problem in one message, each on its own line", () => {
        expect(() => validateStackConfig({ namespace: "A", loki: { retention: "x" } }, "gpu-observability:")).toThrow(
            /2 problems\):\n {2}- gpu-observability:namespace: .*\n {2}- gpu-observability:loki.retention: /,
        );
    });

    it("throws a ConfigError, which the Pulumi CLI prints without a stack trace", () => {
        expect(() => validateStackConfig({ namespace: 1 })).toThrow(ConfigError);
    });

    it("names keys without the stack prefix when the args come from a program", () => {
        expect(() => validateStackConfig({ loki: { retention: "soon" } })).toThrow(/\n {2}- loki.retention: "soon"/);
    });
});

describe("bad Prometheus config", () => {
    const MIMIR = "https://mimir.example.com/api/v1/push";
    const problemAt = (prometheus: Record<string, unknown>, key: string): string | undefined => {
        try {
            validateStackConfig({ prometheus }, "gpu-observability:");
        } catch (error) {
            return (error as Error).message.split("\n").find((line) => line.startsWith(`  - gpu-observability:prometheus.${key}: `));
        }
        return undefined;
    };

    it.each<[string, Record<string, unknown>, string, RegExp]>([
        [
            "a retentionSize larger than the volume",
            { storageSize: "20Gi", retentionSize: "25Gi" },
            "retentionSize",
            /is 25Gi, more than storageSize 20Gi: the volume would fill .*; use at most storageSize .* or raise storageSize$/,
        ],
        ["a retentionSize in Prometheus' units", { retentionSize: "18GB" }, "retentionSize", /not a positive Kubernetes quantity/],
        ["no replica at all", { replicas: 0 }, "replicas", /minimum is 1/],
        [
            "an external label the operator sets itself",
            { externalLabels: { prometheus_replica: "a" } },
            "externalLabels.prometheus_replica",
            /is a label the operator sets itself .*; choose another, e.g. cluster/,
        ],
        ["no Alertmanager at all", { alertmanagerReplicas: 0 }, "alertmanagerReplicas", /minimum is 1/],
        [
            "shards with nothing to query them together",
            { shards: 2 },
            "shards",
            /is 2, but each shard keeps only its share .*; add a prometheus.remoteWrite target .* or use shards: 1/,
        ],
        [
            "a remote-write URL that is no http(s) URL",
            { remoteWrite: [{ url: "mimir:9009" }] },
            "remoteWrite[0].url",
            /is not an http\(s\) URL/,
        ],
        [
            "basic auth and a bearer token on one target",
            { remoteWrite: [{ url: MIMIR, basicAuth: { username: "u", password: "p" }, bearerToken: "t" }] },
            "remoteWrite[0].bearerToken",
            /together with basicAuth, .*; keep one of them/,
        ],
        [
            "credentials sent in clear to a store outside the cluster",
            { remoteWrite: [{ url: "http://mimir.example.com/api/v1/push", bearerToken: "t" }] },
            "remoteWrite[0].url",
            /would cross the network in clear; use https:\/\//,
        ],
        [
            "two targets of one name",
            {
                remoteWrite: [
                    { url: MIMIR, name: "lts" },
                    { url: "https://thanos.example.com/api/v1/receive", name: "lts" },
                ],
            },
            "remoteWrite[1].name",
            /"lts" already names remoteWrite\[0\]; give each target its own name/,
        ],
        [
            "an Authorization header",
            { remoteWrite: [{ url: MIMIR, headers: { Authorization: "Bearer t" } }] },
            "remoteWrite[0].headers.Authorization",
            /"Authorization" is a header Prometheus sets itself or refuses; send credentials with basicAuth or bearerToken/,
        ],
        [
            "an unknown key in a target",
            { remoteWrite: [{ url: MIMIR, token: "t" }] },
            "remoteWrite[0].token",
            /not a known key; allowed here: url, name, basicAuth, bearerToken, headers, queue/,
        ],
        [
            "a queue of no shard",
            { remoteWrite: [{ url: MIMIR, queue: { maxShards: 0 } }] },
            "remoteWrite[0].queue.maxShards",
            /minimum is 1/,
        ],
    ])("refuses %s, naming the key", (_what, prometheus, key, message) => {
        expect(problemAt(prometheus, key)).toMatch(message);
    });

    it("says an empty password is empty without repeating a credential", () => {
        const line = problemAt(
            { remoteWrite: [{ url: MIMIR, basicAuth: { username: "fleet", password: "a secret" } }] },
            "remoteWrite[0].basicAuth.password",
        );
        expect(line).toMatch(
            /is empty or contains spaces; use the store's password or API key, set with `pulumi config set --secret --path`$/,
        );
        expect(line).not.toContain("a secret");
    });

    it("accepts credentials over plain http to an in-cluster Service, and none over http anywhere", () => {
        expect(() =>
            validateStackConfig({
                prometheus: {
                    remoteWrite: [
                        { url: "http://mimir-gateway.mimir.svc:8080/api/v1/push", basicAuth: { username: "u", password: "p" } },
                        { url: "http://thanos-receive.thanos.svc.cluster.local:19291/api/v1/receive", bearerToken: "t" },
                        { url: "http://vm.example.com/api/v1/write" },
                    ],
                },
            }),
        ).not.toThrow();
    });
});

describe("bad Tempo config", () => {
    const KAFKA = "my-cluster-kafka-bootstrap.kafka.svc:9092";
    it.each([
        [
            "distributed mode without object storage",
            { tempo: { mode: "distributed", kafka: { address: KAFKA } } },
            "tempo.mode",
            /is distributed, but that mode keeps trace blocks in object storage; set objectStorage.provider \(s3, gcs, azure or minio\) or use tempo.mode: monolithic/,
        ],
        [
            "distributed mode without Kafka",
            { tempo: { mode: "distributed" }, objectStorage: { provider: "minio" } },
            "tempo.kafka.address",
            /is missing; tempo.mode distributed \(Tempo 3\) writes spans through Kafka, .*Strimzi.* or use tempo.mode: monolithic/,
        ],
        [
            "the production profile without Kafka (its Tempo is distributed)",
            { profile: "production", objectStorage: { provider: "minio" } },
            "tempo.kafka.address",
            /is missing; tempo.mode distributed/,
        ],
        [
            "a mode that does not exist",
            { tempo: { mode: "microservices" } },
            "tempo.mode",
            /"microservices" is not allowed; use one of "monolithic", "distributed"/,
        ],
        [
            "a Kafka address with a scheme",
            { tempo: { kafka: { address: `kafka://${KAFKA}` } } },
            "tempo.kafka.address",
            /not a Kafka address; use host:port without a scheme/,
        ],
        [
            "a burst below the rate",
            { tempo: { limits: { ingestionRate: "30M" } } },
            "tempo.limits.ingestionBurst",
            /20M is less than ingestionRate 30M/,
        ],
        [
            "a trace size that is no quantity",
            { tempo: { limits: { maxTraceSize: "5MB" } } },
            "tempo.limits.maxTraceSize",
            /not a positive Kubernetes quantity/,
        ],
    ])("refuses %s, naming the key", async (_what, config, key, message) => {
        const run = await runIndex(stackConfig(config));
        expect(run.error).toBeInstanceOf(Error);
        const line = run.error!.message.split("\n").find((l) => l.includes(`gpu-observability:${key}:`));
        expect(line).toMatch(message);
        expect(run.resources).toEqual([]);
    });
});

describe("bad Grafana database and DCGM counter config", () => {
    const POSTGRES = { type: "postgres", host: "grafana-db.example.internal:5432", name: "grafana", user: "grafana", password: "pw" };
    const problemAt = (config: Record<string, unknown>, key: string): string | undefined => {
        try {
            validateStackConfig(config, "gpu-observability:");
        } catch (error) {
            return (error as Error).message.split("\n").find((line) => line.startsWith(`  - gpu-observability:${key}: `));
        }
        return undefined;
    };

    it.each<[string, Record<string, unknown>, string, RegExp]>([
        [
            "replicated Grafana without a database",
            { grafana: { replicas: 2 } },
            "grafana.database",
            /is missing, but grafana.replicas is 2: .*SQLite.* cannot be shared; set grafana.database \(postgres or mysql\) or grafana.replicas: 1$/,
        ],
        [
            "the production profile's two Grafanas without a database",
            { profile: "production", loki: { mode: "monolithic" }, tempo: { mode: "monolithic" } },
            "grafana.database",
            /is missing, but grafana.replicas is 2/,
        ],
        ["no Grafana at all", { grafana: { replicas: 0 } }, "grafana.replicas", /minimum is 1/],
        [
            "a database type Grafana does not support",
            { grafana: { database: { ...POSTGRES, type: "sqlite3" } } },
            "grafana.database.type",
            /"sqlite3" is not allowed; use one of "postgres", "mysql"/,
        ],
        [
            "a database address without a port",
            { grafana: { database: { ...POSTGRES, host: "grafana-db.example.internal" } } },
            "grafana.database.host",
            /is not a database address; use host:port without a scheme/,
        ],
        [
            "a database without a password",
            { grafana: { database: { ...POSTGRES, password: undefined } } },
            "grafana.database.password",
            /expected string/,
        ],
        [
            "a database password with spaces",
            { grafana: { database: { ...POSTGRES, password: "two words" } } },
            "grafana.database.password",
            /contains whitespace/,
        ],
        [
            "a MySQL ssl mode for PostgreSQL",
            { grafana: { database: { ...POSTGRES, sslMode: "skip-verify" } } },
            "grafana.database.sslMode",
            /"skip-verify" is not an ssl mode of postgres; use one of "disable", "require", "verify-ca", "verify-full"$/,
        ],
        [
            "a PostgreSQL ssl mode for MySQL",
            { grafana: { database: { ...POSTGRES, type: "mysql", sslMode: "require" } } },
            "grafana.database.sslMode",
            /"require" is not an ssl mode of mysql; use one of "true", "false", "skip-verify"$/,
        ],
        [
            "MySQL over TLS without the server's CA",
            { grafana: { database: { ...POSTGRES, type: "mysql" } } },
            "grafana.database.caCert",
            /is missing; Grafana's MySQL TLS \(sslMode true, the default\) reads the server's CA certificate from a file: set caCert .* or sslMode: "false"/,
        ],
        [
            "a CA certificate that is no PEM",
            { grafana: { database: { ...POSTGRES, caCert: "MIIBszCCAVmgAwIBAgIU" } } },
            "grafana.database.caCert",
            /is not a PEM certificate/,
        ],
        [
            "a counter preset that does not exist",
            { dcgmExporter: { counters: "minimal" } },
            "dcgmExporter.counters",
            /"minimal" is neither a preset nor a counter list; use "lean", "default", "full" or a list of \{ field, type, help \}/,
        ],
        [
            "a counter list without the fields the dashboards and alerts query",
            { dcgmExporter: { counters: [{ field: "DCGM_FI_DEV_GPU_UTIL", type: "gauge", help: "GPU utilization (in %)." }] } },
            "dcgmExporter.counters",
            /lack DCGM_FI_DEV_SM_CLOCK, .*DCGM_FI_DEV_FB_USED, which the GPU dashboards and alert rules query; add them to the list or use a preset \(lean, default, full\)/,
        ],
        [
            "a counter preset in gpu-operator mode",
            { dcgmExporter: { mode: "gpu-operator", counters: "full" } },
            "dcgmExporter.counters",
            /is "full" in mode gpu-operator, where the operator's exporter reads its own list/,
        ],
    ])("refuses %s, naming the key", (_what, config, key, message) => {
        expect(problemAt(config, key)).toMatch(message);
    });

    it("accepts a replicated Grafana on PostgreSQL, and MySQL without TLS or with its CA", () => {
        expect(validateStackConfig({ grafana: { replicas: 3, database: POSTGRES } }).grafana.replicas).toBe(3);
        expect(
            validateStackConfig({ grafana: { database: { ...POSTGRES, type: "mysql", sslMode: false } } }).grafana.database?.sslMode,
        ).toBe("false");
        const pem = "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU\n-----END CERTIFICATE-----";
        expect(() => validateStackConfig({ grafana: { database: { ...POSTGRES, type: "mysql", caCert: pem } } })).not.toThrow();
    });

    it("accepts a counter list of one's own that keeps the dashboards' fields, and any list where no Prometheus reads it", () => {
        const ownList = DEFAULT_DCGM_COUNTERS.filter((c) => c.field !== "DCGM_FI_DEV_ENC_UTIL");
        expect(validateStackConfig({ dcgmExporter: { counters: ownList } }).dcgmExporter.counters).toEqual(ownList);
        const tiny = [{ field: "DCGM_FI_DEV_GPU_UTIL", type: "gauge", help: "GPU utilization (in %)." }];
        expect(() => validateStackConfig({ prometheus: { enabled: false }, dcgmExporter: { counters: tiny } })).not.toThrow();
    });
});
