import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { CHARTS } from "../config/charts";
import { DEFAULT_SSL_MODE, GrafanaConfig, GrafanaDatabase } from "../config/grafana";
import { DatasourceUrls, grafanaDatasources } from "./datasources";
import { HelmValues, releaseServiceUrl } from "./helm";
import { disruptionBudget, spreadAffinity, topologySpread } from "./placement";
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
/**
 * The port Grafana's unified alerting gossips on, TCP and UDP: the chart declares it on the
 * container (gossip-tcp, gossip-udp) and on its headless Service (templates/headless-service.yaml).
 */
export const GRAFANA_GOSSIP_PORT = 9094;
// Grafana reads any setting from GF_<SECTION>_<KEY>; the secrets arrive this way, from Secrets.
const OIDC_SECRET_ENV = "GF_AUTH_GENERIC_OAUTH_CLIENT_SECRET";
export const DATABASE_PASSWORD_ENV = "GF_DATABASE_PASSWORD";
/** Where the database's CA certificate is mounted, and its key in the ConfigMap. */
const DATABASE_CA = { dir: "/etc/grafana/database-ca", key: "ca.crt" } as const;
// The admin Secret also holds the key Grafana encrypts datasource secrets and tokens with in its
// database: generated per stack, since the built-in default is public and replicas must share one.
const ADMIN_SECRET_KEYS = { user: "admin-user", password: "admin-password", secretKey: "secret-key" } as const;

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
    /** The Secret holding GF_DATABASE_PASSWORD, when Grafana uses an external database. */
    databaseSecretName?: string;
    /** The ConfigMap holding the database's CA certificate, when one is configured. */
    databaseCaConfigMapName?: string;
}

/** Grafana's [database] section for an external database; the password comes from GF_DATABASE_PASSWORD. */
export function grafanaDatabaseIni(db: GrafanaDatabase): Record<string, string> {
    const sslMode = db.sslMode ?? DEFAULT_SSL_MODE[db.type];
    return {
        type: db.type,
        host: db.host,
        name: db.name,
        user: db.user,
        ssl_mode: sslMode,
        ...(db.caCert ? { ca_cert_path: `${DATABASE_CA.dir}/${DATABASE_CA.key}` } : {}),
        // MySQL's verifying TLS checks the certificate against this name (Grafana refuses it unset).
        ...(db.type === "mysql" && sslMode === "true" ? { server_cert_name: db.host.replace(/:\d+$/, "") } : {}),
    };
}

/**
 * How Grafana's pods run: one pod on SQLite, or on an external database as many as configured,
 * spread and budgeted, their unified alerting clustered.
 */
function grafanaTopology(input: GrafanaValuesInput): { values: HelmValues; ini: HelmValues } {
    const { settings, storageClass, releaseName, namespace } = input;
    if (!settings.database) {
        // SQLite on a volume keeps users, preferences and annotations across restarts; Recreate,
        // because a ReadWriteOnce volume cannot be mounted by the old and the new pod at once.
        return {
            values: {
                replicas: settings.replicas,
                persistence: { enabled: true, size: settings.storageSize, ...(storageClass ? { storageClassName: storageClass } : {}) },
                deploymentStrategy: { type: "Recreate" },
            },
            ini: {},
        };
    }
    const pods = grafanaPods(releaseName);
    const budget = disruptionBudget(settings.replicas);
    const clustered = settings.replicas > 1;
    return {
        values: {
            replicas: settings.replicas,
            // State lives in the database: no volume, and a rolling update keeps Grafana serving.
            persistence: { enabled: false },
            deploymentStrategy: { type: "RollingUpdate" },
            affinity: spreadAffinity(pods),
            topologySpreadConstraints: topologySpread(pods),
            ...(budget ? { podDisruptionBudget: budget } : {}),
            // The Service unified alerting's peers find each other through (templates/headless-service.yaml).
            headlessService: clustered,
            ...(input.databaseCaConfigMapName
                ? {
                      extraConfigmapMounts: [
                          { name: "database-ca", mountPath: DATABASE_CA.dir, configMap: input.databaseCaConfigMapName, readOnly: true },
                      ],
                  }
                : {}),
        },
        ini: {
            database: grafanaDatabaseIni(settings.database),
            // Unified alerting stays on although the stack alerts through Prometheus: it is Grafana's
            // view of Prometheus' rules and Alertmanager's silences. Its replicas gossip so that a
            // rule a user adds in Grafana notifies once and a silence holds in every replica; the
            // headless Service's name resolves to every replica's pod IP.
            ...(clustered
                ? {
                      unified_alerting: {
                          ha_peers: `${releaseName}-headless.${namespace}.svc.cluster.local:${GRAFANA_GOSSIP_PORT}`,
                          // Grafana expands ${POD_IP} from its environment; the chart sets POD_IP on the container.
                          ha_listen_address: `\${POD_IP}:${GRAFANA_GOSSIP_PORT}`,
                          ha_advertise_address: `\${POD_IP}:${GRAFANA_GOSSIP_PORT}`,
                      },
                  }
                : {}),
        },
    };
}

/** Where a browser reaches Grafana without an Ingress: the README's `kubectl port-forward svc/grafana 3000:80`. */
export const GRAFANA_LOCAL_URL = "http://localhost:3000/";

/**
 * Grafana's public address, from which it builds every absolute link (alert notifications, shared
 * links, OAuth redirects). Its root_url defaults to %(protocol)s://%(domain)s:%(http_port)s/
 * (conf/defaults.ini), and the chart sets the domain to the Ingress host or '' (values.yaml
 * grafana.ini.server.domain), so without an Ingress every link read http://:3000/.
 */
function publicAddress(ingress: GrafanaValuesInput["settings"]["ingress"]): HelmValues {
    if (ingress.enabled) return { domain: ingress.host, root_url: `https://${ingress.host}/` };
    const local = new URL(GRAFANA_LOCAL_URL);
    return { domain: local.hostname, root_url: GRAFANA_LOCAL_URL };
}

/** Helm values of the Grafana chart: provisioned datasources, dashboards from labelled ConfigMaps. */
export function grafanaValues(input: GrafanaValuesInput): HelmValues {
    const { settings, serviceMonitors, releaseName } = input;
    const { ingress } = settings;
    const topology = grafanaTopology(input);
    const envSecrets = [input.oidcSecretName, input.databaseSecretName].filter((name) => name !== undefined);
    return {
        fullnameOverride: releaseName,
        // The password stays in a Secret the stack creates; the chart only references it.
        admin: { existingSecret: input.adminSecretName, userKey: ADMIN_SECRET_KEYS.user, passwordKey: ADMIN_SECRET_KEYS.password },
        envValueFrom: { GF_SECURITY_SECRET_KEY: { secretKeyRef: { name: input.adminSecretName, key: ADMIN_SECRET_KEYS.secretKey } } },
        datasources: { "datasources.yaml": { apiVersion: 1, datasources: grafanaDatasources(input.datasources, input.lokiTenant) } },
        "grafana.ini": {
            server: publicAddress(ingress),
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
            ...topology.ini,
        },
        ...(envSecrets.length ? { envFromSecrets: envSecrets.map((name) => ({ name })) } : {}),
        sidecar: {
            resources: settings.sidecarResources,
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
        ...topology.values,
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
        const secretKey = new random.RandomPassword(`${name}-secret-key`, { length: 32, special: false }, { parent: this });
        const adminSecret = new k8s.core.v1.Secret(
            `${name}-admin`,
            {
                metadata: { name: `${releaseName}-admin`, namespace: args.namespace },
                type: "Opaque",
                stringData: {
                    [ADMIN_SECRET_KEYS.user]: args.settings.adminUser,
                    [ADMIN_SECRET_KEYS.password]: pulumi.secret(password.result),
                    [ADMIN_SECRET_KEYS.secretKey]: pulumi.secret(secretKey.result),
                },
            },
            { parent: this },
        );
        const { oidc, database } = args.settings;
        const secretOf = (suffix: string, env: string, value: string) =>
            new k8s.core.v1.Secret(
                `${name}-${suffix}`,
                {
                    metadata: { name: `${releaseName}-${suffix}`, namespace: args.namespace },
                    type: "Opaque",
                    stringData: pulumi.secret({ [env]: value }),
                },
                { parent: this },
            );
        const oidcSecret = oidc.enabled ? secretOf("oidc", OIDC_SECRET_ENV, oidc.clientSecret ?? "") : undefined;
        const databaseSecret = database ? secretOf("database", DATABASE_PASSWORD_ENV, database.password) : undefined;
        // A CA certificate is public: a ConfigMap, mounted where [database] ca_cert_path points.
        const databaseCa = database?.caCert
            ? new k8s.core.v1.ConfigMap(
                  `${name}-database-ca`,
                  {
                      metadata: { name: `${releaseName}-database-ca`, namespace: args.namespace },
                      data: { [DATABASE_CA.key]: database.caCert },
                  },
                  { parent: this },
              )
            : undefined;
        const ownResources = [adminSecret, oidcSecret, databaseSecret, databaseCa].filter((r) => r !== undefined);
        this.release = installSubsystem(this, name, args, {
            chart: CHARTS.grafana,
            releaseName,
            values: (input) =>
                pulumi
                    .all([
                        args.namespace,
                        adminSecret.metadata.name,
                        pulumi.output(args.datasources),
                        oidcSecret?.metadata.name,
                        databaseSecret?.metadata.name,
                        databaseCa?.metadata.name,
                    ])
                    .apply(([namespace, adminSecretName, datasources, oidcSecretName, databaseSecretName, databaseCaConfigMapName]) =>
                        grafanaValues({
                            ...input,
                            namespace,
                            adminSecretName,
                            datasources,
                            lokiTenant: args.lokiTenant,
                            oidcSecretName,
                            databaseSecretName,
                            databaseCaConfigMapName,
                        }),
                    ),
            dependsOn: ownResources,
        });
        this.url = releaseServiceUrl(this.release, GRAFANA_PORT);
        this.adminUser = pulumi.output(args.settings.adminUser);
        this.adminPassword = pulumi.secret(password.result);
        this.registerOutputs({ url: this.url, adminUser: this.adminUser, adminPassword: this.adminPassword });
    }
}
