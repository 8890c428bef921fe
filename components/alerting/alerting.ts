import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { AlertsConfig } from "../../config/alerts";
import { componentType } from "../subsystem";
import { ALERTMANAGER_CONFIG_KEY, alertmanagerConfigYaml } from "./alertmanagerConfig";
import { alertRuleGroups, InstalledSubsystems } from "./rules";

export const ALERT_RULES_NAME = "gpu-observability-alerts";

export interface AlertingArgs {
    /** Namespace of the stack; kube-prometheus-stack's Alertmanager runs there. */
    namespace: pulumi.Input<string>;
    settings: AlertsConfig;
    /** The installed subsystems whose rules apply; the DCGM exporter by its scrape job (its Service name). */
    installed: Omit<InstalledSubsystems, "dcgmExporter"> & { dcgmExporter?: { job: pulumi.Input<string> } };
    /** The Secret Alertmanager reads its configuration from (`alertmanagerValues` names the same one to the chart). */
    alertmanagerConfigSecret: string;
    /** The release that installs prometheus-operator's CRDs; the PrometheusRule waits for it. */
    monitoringCrds: pulumi.Resource;
}

/**
 * The stack's alert rules, as one PrometheusRule (the stack's Prometheus selects every rule in
 * every namespace), and Alertmanager's configuration, as a Secret whose content is a Pulumi secret:
 * receivers carry credentials.
 */
export class Alerting extends pulumi.ComponentResource {
    readonly rules: k8s.apiextensions.CustomResource;
    readonly alertmanagerConfig: k8s.core.v1.Secret;

    constructor(name: string, args: AlertingArgs, opts?: pulumi.ComponentResourceOptions) {
        super(componentType("Alerting"), name, {}, opts);
        const { dcgmExporter, ...others } = args.installed;
        const dcgmExporterJob: pulumi.Output<string | undefined> = pulumi.output(dcgmExporter?.job);
        this.rules = new k8s.apiextensions.CustomResource(
            `${name}-rules`,
            {
                apiVersion: "monitoring.coreos.com/v1",
                kind: "PrometheusRule",
                metadata: { name: ALERT_RULES_NAME, namespace: args.namespace },
                spec: {
                    groups: dcgmExporterJob.apply((job) =>
                        alertRuleGroups({
                            thresholds: args.settings.thresholds,
                            installed: { ...others, dcgmExporter: job === undefined ? undefined : { job } },
                        }),
                    ),
                },
            },
            { parent: this, dependsOn: [args.monitoringCrds] },
        );
        this.alertmanagerConfig = new k8s.core.v1.Secret(
            `${name}-alertmanager-config`,
            {
                metadata: { name: args.alertmanagerConfigSecret, namespace: args.namespace },
                type: "Opaque",
                stringData: pulumi.secret({ [ALERTMANAGER_CONFIG_KEY]: alertmanagerConfigYaml(args.settings.receivers) }),
            },
            { parent: this },
        );
        this.registerOutputs({});
    }
}
