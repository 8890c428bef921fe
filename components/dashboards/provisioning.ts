import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { DASHBOARD_FOLDER_ANNOTATION, DASHBOARD_LABEL } from "../grafana";
import { componentType } from "../subsystem";
import { DashboardSpec } from "./common";

export interface DashboardsArgs {
    /** Namespace the Grafana sidecar searches (the stack's). */
    namespace: pulumi.Input<string>;
    dashboards: DashboardSpec[];
}

/** The ConfigMap Grafana's dashboard sidecar loads a dashboard from: labelled for it, its folder annotated. */
export function dashboardConfigMap(spec: DashboardSpec) {
    return {
        metadata: {
            name: `dashboard-${spec.uid}`,
            labels: { [DASHBOARD_LABEL.key]: DASHBOARD_LABEL.value },
            annotations: { [DASHBOARD_FOLDER_ANNOTATION]: spec.folder },
        },
        // Indented, so a changed panel is a readable diff in review (the committed plan, kubectl diff).
        data: { [`${spec.uid}.json`]: JSON.stringify(spec.json, null, 2) },
    };
}

/** The stack's dashboards, one ConfigMap each, for Grafana's sidecar to provision. */
export class Dashboards extends pulumi.ComponentResource {
    readonly configMapNames: pulumi.Output<string>[];

    constructor(name: string, args: DashboardsArgs, opts?: pulumi.ComponentResourceOptions) {
        super(componentType("Dashboards"), name, {}, opts);
        this.configMapNames = args.dashboards.map((spec) => {
            const { metadata, data } = dashboardConfigMap(spec);
            const configMap = new k8s.core.v1.ConfigMap(
                `${name}-${spec.uid}`,
                { metadata: { ...metadata, namespace: args.namespace }, data },
                { parent: this },
            );
            return configMap.metadata.name;
        });
        this.registerOutputs({ configMapNames: this.configMapNames });
    }
}
