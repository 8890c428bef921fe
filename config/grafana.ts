import { z } from "zod";
import { enabled, extraValues, resourcesSchema } from "./common";
import { dnsLabel, dnsSubdomain, hostname, httpsUrl, memoryQuantity, serviceType } from "./formats";

export const GRAFANA_DATABASE_TYPES = ["postgres", "mysql"] as const;
export type GrafanaDatabaseType = (typeof GRAFANA_DATABASE_TYPES)[number];

/** Grafana's [database] ssl_mode values per type: lib/pq's sslmode, and go-sql-driver/mysql's tls. */
export const GRAFANA_SSL_MODES: Record<GrafanaDatabaseType, readonly string[]> = {
    postgres: ["disable", "require", "verify-ca", "verify-full"],
    mysql: ["true", "false", "skip-verify"],
};

/**
 * The ssl_mode used when none is set: encrypted. PostgreSQL's require encrypts without checking
 * the server's certificate; MySQL's true checks it against caCert (Grafana's MySQL TLS always
 * reads a CA file: pkg/storage/unified/sql/db/dbimpl makeMySQLTLSConfig).
 */
export const DEFAULT_SSL_MODE: Record<GrafanaDatabaseType, string> = { postgres: "require", mysql: "true" };

const databaseSchema = z
    .strictObject({
        type: z.enum(GRAFANA_DATABASE_TYPES).describe("postgres or mysql."),
        host: z
            .string()
            .regex(/^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?:\d{1,5}$/, {
                error: (issue) =>
                    `${JSON.stringify(issue.input)} is not a database address; use host:port without a scheme, e.g. grafana-db.example.internal:5432`,
            })
            .describe("The database server as host:port, e.g. grafana-db.example.internal:5432."),
        name: z
            .string()
            .regex(/^[A-Za-z_][A-Za-z0-9_$-]{0,62}$/, {
                error: (issue) =>
                    `${JSON.stringify(issue.input)} is not a database name; use up to 63 letters, digits, '_', '$' or '-', starting with a letter or '_'`,
            })
            .describe("Name of the database Grafana keeps its state in (created beforehand, empty or Grafana's)."),
        user: z
            .string()
            .regex(/^[A-Za-z0-9._@-]{1,128}$/, {
                error: (issue) => `${JSON.stringify(issue.input)} is not a database user; use letters, digits, '.', '_', '@' or '-'`,
            })
            .describe("The database user Grafana logs in as; it needs to create and alter tables (Grafana migrates its schema on start)."),
        password: z
            .string()
            .regex(/^\S+$/, {
                // Grafana writes it unquoted into the PostgreSQL connection string (user=... password=...).
                error: "is empty or contains whitespace; use a password without spaces, set with `pulumi config set --secret --path`",
            })
            .describe(
                "The user's password: set it with `pulumi config set --secret --path`; it only travels in a Kubernetes Secret, as GF_DATABASE_PASSWORD.",
            ),
        sslMode: z
            .preprocess(
                // YAML and Pulumi's --path parse true and false as booleans; MySQL's modes are those words.
                (value) => (typeof value === "boolean" ? String(value) : value),
                z.enum([...new Set(Object.values(GRAFANA_SSL_MODES).flat())] as [string, ...string[]]),
            )
            .optional()
            .describe(
                "TLS to the database. postgres: disable, require (the default), verify-ca or verify-full. mysql: true (the default: verify against caCert), skip-verify (encrypt, read caCert, verify nothing) or false.",
            ),
        caCert: z
            .string()
            .regex(/-----BEGIN CERTIFICATE-----[\s\S]+-----END CERTIFICATE-----/, {
                error: "is not a PEM certificate; paste the CA certificate including its -----BEGIN CERTIFICATE----- and -----END CERTIFICATE----- lines",
            })
            .optional()
            .describe(
                "PEM of the CA that signed the database server's certificate (not a secret; mounted from a ConfigMap). Needed by mysql with TLS; postgres verify-ca and verify-full check against it, or the image's system CAs without it.",
            ),
    })
    .superRefine((db, ctx) => {
        const sslMode = db.sslMode ?? DEFAULT_SSL_MODE[db.type];
        const allowed = GRAFANA_SSL_MODES[db.type];
        if (!allowed.includes(sslMode)) {
            ctx.addIssue({
                code: "custom",
                path: ["sslMode"],
                message: `${JSON.stringify(sslMode)} is not an ssl mode of ${db.type}; use one of ${allowed.map((m) => JSON.stringify(m)).join(", ")}`,
            });
        } else if (db.type === "mysql" && sslMode !== "false" && db.caCert === undefined) {
            ctx.addIssue({
                code: "custom",
                path: ["caCert"],
                message: `is missing; Grafana's MySQL TLS (sslMode ${sslMode}${db.sslMode === undefined ? ", the default" : ""}) reads the server's CA certificate from a file: set caCert to its PEM, or sslMode: "false" to connect unencrypted`,
            });
        }
    });

export type GrafanaDatabase = z.infer<typeof databaseSchema>;

export const grafanaConfigSchema = z
    .strictObject({
        enabled,
        adminUser: z
            .string()
            .regex(/^[A-Za-z0-9._@-]{1,64}$/, {
                error: "is not a valid user name; use 1 to 64 letters, digits, '.', '_', '@' or '-'",
            })
            .default("admin")
            .describe("Grafana's admin login; the password is generated and kept as a Pulumi secret."),
        replicas: z
            .int()
            .min(1)
            .default(1)
            .describe(
                "Grafana pods. More than one needs grafana.database: each pod serves any user, so they must share one database, and SQLite on a ReadWriteOnce volume cannot be shared.",
            ),
        database: databaseSchema
            .optional()
            .describe(
                "An external PostgreSQL or MySQL database for Grafana's users, dashboards, annotations and alert state. Without it Grafana keeps SQLite on a PersistentVolumeClaim, one pod only.",
            ),
        storageSize: memoryQuantity
            .default("1Gi")
            .describe("Size of the PersistentVolumeClaim holding Grafana's SQLite database (none with grafana.database)."),
        serviceType,
        ingress: z
            .strictObject({
                enabled: z.boolean().default(false).describe("Publish Grafana through an Ingress, over TLS."),
                host: hostname.optional().describe("Host name Grafana is reached at."),
                className: dnsSubdomain.optional().describe("IngressClass (default: the cluster's default class)."),
                tlsSecretName: dnsSubdomain
                    .optional()
                    .describe("Secret holding the TLS certificate for the host (e.g. issued by cert-manager)."),
                annotations: z.record(z.string(), z.string()).default({}).describe("Annotations of the Ingress."),
                controllerNamespace: dnsLabel
                    .default("ingress-nginx")
                    .describe("Namespace of the ingress controller, the one peer the NetworkPolicy lets reach Grafana."),
            })
            .superRefine((ingress, ctx) => {
                if (!ingress.enabled) return;
                for (const key of ["host", "tlsSecretName"] as const) {
                    if (!ingress[key]) {
                        ctx.addIssue({
                            code: "custom",
                            path: [key],
                            message: `is missing; an enabled Ingress needs ${key === "host" ? "the host name Grafana is reached at" : "the Secret of its TLS certificate (Grafana is never served over plain HTTP)"}`,
                        });
                    }
                }
            })
            .prefault({})
            .describe("An Ingress in front of Grafana, TLS only."),
        oidc: z
            .strictObject({
                enabled: z.boolean().default(false).describe("Log in through an OpenID Connect provider."),
                name: z.string().min(1).default("SSO").describe("Name of the login button."),
                clientId: z.string().min(1).optional().describe("OAuth client id registered with the provider."),
                clientSecret: z
                    .string()
                    .min(1)
                    .optional()
                    .describe(
                        "OAuth client secret: set it with `pulumi config set --secret --path`; it only travels in a Kubernetes Secret.",
                    ),
                authUrl: httpsUrl.optional().describe("The provider's authorization endpoint."),
                tokenUrl: httpsUrl.optional().describe("The provider's token endpoint."),
                apiUrl: httpsUrl.optional().describe("The provider's userinfo endpoint."),
                scopes: z.string().default("openid profile email").describe("Scopes requested, space-separated."),
                roleAttributePath: z
                    .string()
                    .optional()
                    .describe(
                        "JMESPath mapping the user's claims to a Grafana role, e.g. contains(groups[*], 'admins') && 'Admin' || 'Viewer'.",
                    ),
            })
            .superRefine((oidc, ctx) => {
                if (!oidc.enabled) return;
                for (const key of ["clientId", "clientSecret", "authUrl", "tokenUrl", "apiUrl"] as const) {
                    if (!oidc[key]) {
                        ctx.addIssue({
                            code: "custom",
                            path: [key],
                            message: "is missing; OpenID Connect login needs clientId, clientSecret, authUrl, tokenUrl and apiUrl",
                        });
                    }
                }
            })
            .prefault({})
            .describe("OpenID Connect login (Grafana's generic OAuth); the local admin stays for break-glass."),
        resources: resourcesSchema({
            requests: { cpu: "50m", memory: "128Mi" },
            limits: { cpu: "500m", memory: "512Mi" },
        }),
        // k8s-sidecar only copies the stack's dashboard ConfigMaps into a folder.
        sidecarResources: resourcesSchema({
            requests: { cpu: "10m", memory: "32Mi" },
            limits: { cpu: "100m", memory: "128Mi" },
        }).describe("CPU and memory requests and limits of Grafana's dashboard sidecar (k8s-sidecar)."),
        extraValues,
    })
    .superRefine((grafana, ctx) => {
        if (grafana.replicas > 1 && grafana.database === undefined) {
            ctx.addIssue({
                code: "custom",
                path: ["database"],
                message: `is missing, but grafana.replicas is ${grafana.replicas}: every replica would keep its own SQLite database, and its ReadWriteOnce volume cannot be shared; set grafana.database (postgres or mysql) or grafana.replicas: 1`,
            });
        }
    })
    .describe("Grafana, the single pane of glass, with every other subsystem as a datasource.");

export type GrafanaConfig = z.infer<typeof grafanaConfigSchema>;
