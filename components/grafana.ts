import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { CHARTS } from "../config/charts";
import { GrafanaConfig } from "../config/grafana";
import { DatasourceUrls, grafanaDatasources } from "./datasources";
import { HelmValues, releaseServiceUrl } from "./helm";
import { RESTRICTED_CONTAINER, restrictedPod } from "./podSecurity";
import { DEFAULT_RELEASE_NAMES } from "./releaseNames";
import { chartPods, componentType, installSubsystem, PodLabels, SubsystemArgs, ValuesInput } from "./subsystem";

export interface GrafanaArgs extends SubsystemArgs<GrafanaConfig> {
    /** URLs of the installed backends; each becomes a datasource. */
    datasources: { [K in keyof DatasourceUrls]?: pulumi.Input<string> };
    /** Loki tenant to query as, when Loki is multi-tenant. */
    lokiTenant?: string;
}

export const GRAFANA_PORT = 80;
export const GRAFANA_CONTAINER_PORT = 3000;
/** The label and annotation the dashboard sidecar loads ConfigMaps by. */
export const DASHBOARD_LABEL = { key: "grafana_dashboard", value: "1" } as const;
export const DASHBOARD_FOLDER_ANNOTATION = "grafana_folder";
// The dashboard sidecar only copies ConfigMaps into a folder.
const SIDECAR_RESOURCES = { requests: { cpu: "10m", memory: "32Mi" }, limits: { cpu: "100m", memory: "128Mi" } };
// Grafana reads any setting from GF_<SECTION>_<KEY>; the client secret arrives this way, from a Secret.
const OIDC_SECRET_ENV = "GF_AUTH_GENERIC_OAUTH_CLIENT_SECRET";
const ADMIN_SECRET_KEYS = { user: "admin-user", password: "admin-password" } as const;

/** Labels of Grafana's pods, as the chart's Service selects them. */
export const grafanaPods = (releaseName: string) => chartPods(CHARTS.grafana, releaseName);

export interface GrafanaValuesInput extends ValuesInput<GrafanaConfig> {
    namespace: string;
    adminSecretName: string;
    datasources: DatasourceUrls;
    /** Loki tenant Grafana queries as, when Loki is multi-tenant. */
    lokiTenant?: string;
    /** The Secret holding the OpenID Connect client secret, when OIDC login is on. */
    oidcSecretName?: string;
}

/** Helm values of the Grafana chart: provisioned datasources, dashboards from labelled ConfigMaps. */
export function grafanaValues(input: GrafanaValuesInput): HelmValues {
    const { settings, storageClass, serviceMonitors, releaseName } = input;
    const { ingress } = settings;
    return {
        fullnameOverride: releaseName,
        // The password stays in a Secret the stack creates; the chart only references it.
        admin: { existingSecret: input.adminSecretName, userKey: ADMIN_SECRET_KEYS.user, passwordKey: ADMIN_SECRET_KEYS.password },
        datasources: { "datasources.yaml": { apiVersion: 1, datasources: grafanaDatasources(input.datasources, input.lokiTenant) } },
        "grafana.ini": {
            ...(ingress.enabled ? { server: { root_url: `https://${ingress.host}/` } } : {}),
            analytics: { reporting_enabled: false, check_for_updates: false, check_for_plugin_updates: false },
            "auth.anonymous": { enabled: false },
            ...(settings.oidc.enabled
                ? {
                      "auth.generic_oauth": {
                          enabled: true,
                          name: settings.oidc.name,
                          client_id: settings.oidc.clientId,
                          scopes: settings.oidc.scopes,
                          auth_url: settings.oidc.authUrl,
                          token_url: settings.oidc.tokenUrl,
                          api_url: settings.oidc.apiUrl,
                          use_pkce: true,
                          allow_sign_up: true,
                          ...(settings.oidc.roleAttributePath ? { role_attribute_path: settings.oidc.roleAttributePath } : {}),
                      },
                  }
                : {}),
        },
        ...(input.oidcSecretName ? { envFromSecrets: [{ name: input.oidcSecretName }] } : {}),
        sidecar: {
            resources: SIDECAR_RESOURCES,
            securityContext: RESTRICTED_CONTAINER,
            dashboards: {
                enabled: true,
                label: DASHBOARD_LABEL.key,
                labelValue: DASHBOARD_LABEL.value,
                searchNamespace: [input.namespace],
                resource: "configmap",
                folderAnnotation: DASHBOARD_FOLDER_ANNOTATION,
                provider: { foldersFromFilesStructure: true },
                // k8s-sidecar needs a writable temporary directory beside its read-only root.
                extraMounts: [{ name: "sc-dashboard-tmp", mountPath: "/tmp" }],
            },
            datasources: { enabled: false },
        },
        rbac: { namespaced: true },
        // SQLite on a volume keeps users, preferences and annotations across restarts; Recreate,
        // because a ReadWriteOnce volume cannot be mounted by the old and the new pod at once.
        persistence: {
            enabled: true,
            size: settings.storageSize,
            ...(storageClass ? { storageClassName: storageClass } : {}),
        },
        deploymentStrategy: { type: "Recreate" },
        // Its init container chowns the volume as root; fsGroup does the same without root.
        initChownData: { enabled: false },
        securityContext: restrictedPod(472),
        containerSecurityContext: RESTRICTED_CONTAINER,
        extraEmptyDirMounts: [{ name: "tmp", mountPath: "/tmp" }],
        extraContainerVolumes: [{ name: "sc-dashboard-tmp", emptyDir: {} }],
        resources: settings.resources,
        service: { type: settings.serviceType, port: GRAFANA_PORT, targetPort: GRAFANA_CONTAINER_PORT },
        ingress: ingress.enabled
            ? {
                  enabled: true,
                  ...(ingress.className ? { ingressClassName: ingress.className } : {}),
                  annotations: ingress.annotations,
                  hosts: [ingress.host],
                  path: "/",
                  pathType: "Prefix",
                  tls: [{ secretName: ingress.tlsSecretName, hosts: [ingress.host] }],
              }
            : { enabled: false },
        serviceMonitor: { enabled: serviceMonitors },
        testFramework: { enabled: false },
    };
}

/** Grafana, the single pane of glass over every installed backend. */
export class Grafana extends pulumi.ComponentResource {
    readonly release: k8s.helm.v3.Release;
    /** Labels of its pods, for NetworkPolicies. */
    readonly pods: PodLabels;
    readonly url: pulumi.Output<string>;
    readonly adminUser: pulumi.Output<string>;
    /** Generated admin password, a Pulumi secret. */
    readonly adminPassword: pulumi.Output<string>;

    constructor(name: string, args: GrafanaArgs, opts?: pulumi.ComponentResourceOptions) {
        super(componentType("Grafana"), name, {}, opts);
        const releaseName = args.releaseName ?? DEFAULT_RELEASE_NAMES.grafana;
        this.pods = grafanaPods(releaseName);
        const password = new random.RandomPassword(`${name}-admin`, { length: 32, special: false }, { parent: this });
        const adminSecret = new k8s.core.v1.Secret(
            `${name}-admin`,
            {
                metadata: { name: `${releaseName}-admin`, namespace: args.namespace },
                type: "Opaque",
                stringData: {
                    [ADMIN_SECRET_KEYS.user]: args.settings.adminUser,
                    [ADMIN_SECRET_KEYS.password]: pulumi.secret(password.result),
                },
            },
            { parent: this },
        );
        const { oidc } = args.settings;
        const oidcSecret = oidc.enabled
            ? new k8s.core.v1.Secret(
                  `${name}-oidc`,
                  {
                      metadata: { name: `${releaseName}-oidc`, namespace: args.namespace },
                      type: "Opaque",
                      stringData: pulumi.secret({ [OIDC_SECRET_ENV]: oidc.clientSecret ?? "" }),
                  },
                  { parent: this },
              )
            : undefined;
        this.release = installSubsystem(this, name, args, {
            chart: CHARTS.grafana,
            releaseName,
            values: (input) =>
                pulumi
                    .all([args.namespace, adminSecret.metadata.name, pulumi.output(args.datasources), oidcSecret?.metadata.name])
                    .apply(([namespace, adminSecretName, datasources, oidcSecretName]) =>
                        grafanaValues({ ...input, namespace, adminSecretName, datasources, lokiTenant: args.lokiTenant, oidcSecretName }),
                    ),
            dependsOn: oidcSecret ? [adminSecret, oidcSecret] : [adminSecret],
        });
        this.url = releaseServiceUrl(this.release, GRAFANA_PORT);
        this.adminUser = pulumi.output(args.settings.adminUser);
        this.adminPassword = pulumi.secret(password.result);
        this.registerOutputs({ url: this.url, adminUser: this.adminUser, adminPassword: this.adminPassword });
    }
}
