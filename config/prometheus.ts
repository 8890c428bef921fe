import { z } from "zod";
import { enabled, extraValues, resourcesSchema } from "./common";
import { duration, memoryQuantity, parseQuantity } from "./formats";

// Credentials arrive as `secure:` values, which the offline plan replaces with a placeholder: only
// their presence is checked, and no message repeats them.
const credential = (what: string) =>
    z.string().regex(/^\S+$/, { error: `is empty or contains spaces; use ${what}, set with \`pulumi config set --secret --path\`` });

/** An http:// or https:// URL. */
const httpUrl = z.string().refine(
    (text) => {
        try {
            return ["http:", "https:"].includes(new URL(text).protocol);
        } catch {
            return false;
        }
    },
    { error: (issue) => `${JSON.stringify(issue.input)} is not an http(s) URL; use e.g. https://mimir.example.com/api/v1/push` },
);

// Headers Prometheus sets itself and refuses in `headers` (prometheus/config/config.go
// reservedHeaders); Authorization is refused too: bearerToken and basicAuth keep it in a Secret.
const RESERVED_HEADERS = [
    "authorization",
    "host",
    "content-encoding",
    "content-length",
    "content-type",
    "user-agent",
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "www-authenticate",
    "accept-encoding",
    "x-prometheus-remote-write-version",
    "x-prometheus-remote-read-version",
    "x-amz-date",
    "x-amz-security-token",
    "x-amz-content-sha256",
];

const headerName = z
    .string()
    .regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, {
        error: (issue) => `${JSON.stringify(issue.input)} is not an HTTP header name; use letters, digits and '-', e.g. X-Scope-OrgID`,
    })
    .refine((name) => !RESERVED_HEADERS.includes(name.toLowerCase()), {
        error: (issue) =>
            `${JSON.stringify(issue.input)} is a header Prometheus sets itself or refuses; send credentials with basicAuth or bearerToken`,
    });

const count = (max: number) => z.int().min(1).max(max);

const remoteWriteTargetSchema = z.strictObject({
    url: httpUrl.describe("The store's remote-write endpoint, e.g. Mimir's /api/v1/push or Thanos receive's /api/v1/receive."),
    name: z
        .string()
        .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/, {
            error: (issue) =>
                `${JSON.stringify(issue.input)} is not a valid target name; use up to 63 letters, digits, '-', '_' or '.', starting with a letter or digit`,
        })
        .optional()
        .describe("Name of the target in Prometheus' remote-write metrics (the `remote_name` label); unique among the targets."),
    basicAuth: z
        .strictObject({
            username: credential("the store's user name (Grafana Cloud: the instance id)"),
            password: credential("the store's password or API key"),
        })
        .optional()
        .describe("HTTP basic authentication; both kept only in a Secret the stack creates (set them with --secret)."),
    bearerToken: credential("the token the store issued")
        .optional()
        .describe("Sent as `Authorization: Bearer <token>`; kept only in a Secret the stack creates (set it with --secret)."),
    headers: z
        .record(headerName, z.string())
        .default({})
        .describe(
            "HTTP headers sent with every request, e.g. {X-Scope-OrgID: gpu-fleet} for a multi-tenant Mimir. Not for credentials: headers are kept in the Prometheus resource in plain text.",
        ),
    queue: z
        .strictObject({
            capacity: count(1_000_000).optional().describe("Samples buffered per shard (Prometheus' default 10000)."),
            maxShards: count(1000).optional().describe("Most parallel senders (Prometheus' default 50)."),
            maxSamplesPerSend: count(100_000).optional().describe("Samples per request (Prometheus' default 2000)."),
        })
        .optional()
        .describe(
            "Sending queue tuning; Prometheus' defaults carry about 1M active series at a 30s interval to a store within one region. Raise maxShards for a distant store.",
        ),
});

export type RemoteWriteTarget = z.infer<typeof remoteWriteTargetSchema>;

export const prometheusConfigSchema = z
    .strictObject({
        enabled,
        retention: duration.default("15d").describe("How long Prometheus keeps samples."),
        storageSize: memoryQuantity.default("20Gi").describe("Size of each Prometheus pod's PersistentVolumeClaim."),
        retentionSize: memoryQuantity
            .optional()
            .describe(
                "Most bytes of samples Prometheus keeps before deleting the oldest, e.g. 80Gi; at most storageSize (default: 90% of it).",
            ),
        scrapeInterval: duration.default("30s").describe("How often every target is scraped."),
        replicas: count(10)
            .default(1)
            .describe(
                "Prometheus replicas (of each shard). Each scrapes every target and keeps its own copy: one survives the other's restart or node loss. A long-term store deduplicates them on the prometheus_replica label.",
            ),
        shards: count(100)
            .default(1)
            .describe(
                "Shards the targets are split over, each with `replicas` pods. Each shard holds only its targets' series: query them together in the long-term store (needs remoteWrite).",
            ),
        externalLabels: z
            .record(
                z
                    .string()
                    .regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, {
                        error: (issue) => `${JSON.stringify(issue.input)} is not a Prometheus label name; use letters, digits and '_'`,
                    })
                    .refine((name) => !["prometheus", "prometheus_replica"].includes(name) && !name.startsWith("__"), {
                        error: (issue) =>
                            `${JSON.stringify(issue.input)} is a label the operator sets itself (prometheus, prometheus_replica) or a reserved __ label; choose another, e.g. cluster`,
                    }),
                z.string(),
            )
            .default({})
            .describe(
                "Labels added to every series sent to the long-term store and to every alert, e.g. {cluster: gpu-prod-eu1} when several clusters write to one store. Prometheus adds prometheus and prometheus_replica itself.",
            ),
        remoteWrite: z
            .array(remoteWriteTargetSchema)
            .max(10)
            .default([])
            .describe("Long-term stores (Mimir, Thanos receive, a managed Prometheus) every sample is also sent to."),
        alertmanagerReplicas: count(5)
            .default(1)
            .describe("Alertmanager replicas; they gossip silences and notifications, so an alert is sent once while any one is up."),
        alertmanagerStorageSize: memoryQuantity
            .default("1Gi")
            .describe("Size of Alertmanager's PersistentVolumeClaim (silences and notification log)."),
        resources: resourcesSchema({
            requests: { cpu: "200m", memory: "512Mi" },
            limits: { cpu: "1", memory: "2Gi" },
        }).describe("CPU and memory of each Prometheus container; its memory grows with the active series."),
        alertmanagerResources: resourcesSchema({
            requests: { cpu: "20m", memory: "64Mi" },
            limits: { cpu: "100m", memory: "128Mi" },
        }).describe("CPU and memory of each Alertmanager container."),
        operatorResources: resourcesSchema({
            requests: { cpu: "50m", memory: "64Mi" },
            limits: { cpu: "200m", memory: "256Mi" },
        }).describe("CPU and memory of the Prometheus operator."),
        kubeStateMetricsResources: resourcesSchema({
            requests: { cpu: "20m", memory: "64Mi" },
            limits: { cpu: "100m", memory: "256Mi" },
        }).describe("CPU and memory of kube-state-metrics; its memory grows with the cluster's objects (pods above all)."),
        nodeExporterResources: resourcesSchema({
            requests: { cpu: "20m", memory: "32Mi" },
            limits: { cpu: "200m", memory: "64Mi" },
        }).describe("CPU and memory of node-exporter, on every node: keep the requests small."),
        extraValues,
    })
    .describe("kube-prometheus-stack: Prometheus, Alertmanager, the Prometheus operator, node-exporter and kube-state-metrics.");

export type PrometheusConfig = z.infer<typeof prometheusConfigSchema>;

/** Addresses that stay inside the cluster (`<service>.<namespace>.svc[.<cluster domain>]`). */
const inCluster = (url: string) => /\.svc(\.|$)/.test(new URL(url).hostname);

/**
 * Rules across Prometheus' keys, run by the stack schema: `issue(path, message)` with the path
 * below `prometheus`.
 */
export function prometheusRules(settings: PrometheusConfig, issue: (path: (string | number)[], message: string) => void): void {
    const { retentionSize, storageSize } = settings;
    if (retentionSize !== undefined && (parseQuantity(retentionSize) ?? 0) > (parseQuantity(storageSize) ?? 0)) {
        issue(
            ["retentionSize"],
            `is ${retentionSize}, more than storageSize ${storageSize}: the volume would fill before Prometheus deletes old samples; use at most storageSize (90% of it leaves room for the write-ahead log) or raise storageSize`,
        );
    }
    const names = new Map<string, number>();
    settings.remoteWrite.forEach((target, i) => {
        if (target.basicAuth && target.bearerToken) {
            issue(
                ["remoteWrite", i, "bearerToken"],
                "is set together with basicAuth, but a request carries one Authorization header; keep one of them",
            );
        }
        if ((target.basicAuth || target.bearerToken) && new URL(target.url).protocol === "http:" && !inCluster(target.url)) {
            issue(
                ["remoteWrite", i, "url"],
                `is ${target.url}, but the target sends credentials, which would cross the network in clear; use https:// (plain http only to an in-cluster <service>.<namespace>.svc address)`,
            );
        }
        if (target.name !== undefined) {
            const first = names.get(target.name);
            if (first !== undefined) {
                issue(["remoteWrite", i, "name"], `"${target.name}" already names remoteWrite[${first}]; give each target its own name`);
            } else names.set(target.name, i);
        }
    });
    if (settings.enabled && settings.shards > 1 && settings.remoteWrite.length === 0) {
        issue(
            ["shards"],
            `is ${settings.shards}, but each shard keeps only its share of the targets' series and nothing here queries them together; add a prometheus.remoteWrite target and query the long-term store, or use shards: 1 with more memory`,
        );
    }
}
