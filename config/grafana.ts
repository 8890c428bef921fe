import { z } from "zod";
import { enabled, extraValues, resourcesSchema } from "./common";
import { dnsLabel, dnsSubdomain, hostname, httpsUrl, memoryQuantity, serviceType } from "./formats";

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
        storageSize: memoryQuantity.default("1Gi").describe("Size of the PersistentVolumeClaim holding Grafana's SQLite database."),
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
        extraValues,
    })
    .describe("Grafana, the single pane of glass, with every other subsystem as a datasource.");

export type GrafanaConfig = z.infer<typeof grafanaConfigSchema>;
