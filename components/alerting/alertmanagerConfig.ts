// Alertmanager's whole configuration, from the configured receivers. It holds credentials, so it
// reaches the cluster only as a Secret the Alerting component creates; kube-prometheus-stack is told
// to use that Secret and to render no configuration of its own.
import YAML from "yaml";
import { AlertReceiver, NULL_RECEIVER } from "../../config/alerts";
import { HelmValues } from "../helm";

/** The key prometheus-operator reads the configuration from (its `configSecret` contract). */
export const ALERTMANAGER_CONFIG_KEY = "alertmanager.yaml";

/**
 * Name of the Secret holding Alertmanager's configuration: the one prometheus-operator reads when
 * the Alertmanager resource names none, `alertmanager-<Alertmanager name>`, and kube-prometheus-stack
 * names its Alertmanager `<release>-alertmanager`.
 */
export const alertmanagerConfigSecretName = (prometheusReleaseName: string) => `alertmanager-${prometheusReleaseName}-alertmanager`;

// kube-prometheus-stack's rules include Watchdog (always firing, to prove the pipeline works; for
// a dead man's switch) and InfoInhibitor (only there to mute info alerts): nobody is paged for them.
const SILENT_ALERTS = ["Watchdog", "InfoInhibitor"];
// An alert is one thing on one node; namespace and node together keep a pod's alerts apart from
// another namespace's on the same node.
const GROUP_BY = ["alertname", "namespace", "node"];

type AlertmanagerReceiver = { name: string } & Record<string, unknown>;

/** Each kind's Alertmanager block; every one also notifies when the alert resolves. */
function receiverOf(receiver: AlertReceiver): AlertmanagerReceiver {
    const { name, webhook, slack, pagerduty, email } = receiver;
    if (webhook) return { name, webhook_configs: [{ url: webhook.url, send_resolved: true }] };
    if (slack) {
        return {
            name,
            slack_configs: [
                {
                    api_url: slack.apiUrl,
                    channel: slack.channel,
                    send_resolved: true,
                    // Alertmanager's default text is empty: say what fired, where, and what to do.
                    title: '[{{ .Status | toUpper }}{{ if eq .Status "firing" }}:{{ .Alerts.Firing | len }}{{ end }}] {{ .CommonLabels.alertname }}',
                    text: "{{ range .Alerts }}*{{ .Annotations.summary }}*\n{{ .Annotations.description }}\n{{ end }}",
                },
            ],
        };
    }
    if (pagerduty) {
        return {
            name,
            pagerduty_configs: [
                {
                    routing_key: pagerduty.routingKey,
                    send_resolved: true,
                    // PagerDuty's own severity drives its urgency: warnings stay low-urgency.
                    severity: '{{ if eq .CommonLabels.severity "critical" }}critical{{ else }}warning{{ end }}',
                },
            ],
        };
    }
    if (email) {
        return {
            name,
            email_configs: [
                {
                    to: email.to,
                    from: email.from,
                    smarthost: email.smarthost,
                    ...(email.authUsername ? { auth_username: email.authUsername } : {}),
                    ...(email.authPassword ? { auth_password: email.authPassword } : {}),
                    send_resolved: true,
                },
            ],
        };
    }
    // The config schema admits exactly one kind per receiver.
    throw new Error(`receiver ${name} has no kind`);
}

const matcherList = (values: readonly string[]) => values.join("|");

/**
 * The complete Alertmanager configuration: critical and warning alerts to the receivers that take
 * them (each receiver gets its own copy), everything else, and everything when there is no
 * receiver, to the "null" receiver.
 */
export function alertmanagerConfig(receivers: readonly AlertReceiver[]): Record<string, unknown> {
    return {
        route: {
            receiver: NULL_RECEIVER,
            group_by: GROUP_BY,
            group_wait: "30s",
            group_interval: "5m",
            repeat_interval: "12h",
            routes: [
                { receiver: NULL_RECEIVER, matchers: [`alertname =~ "${matcherList(SILENT_ALERTS)}"`] },
                ...receivers.map((receiver) => ({
                    receiver: receiver.name,
                    matchers: [`severity =~ "${matcherList(receiver.severities)}"`],
                    // Later receivers get the alert too.
                    continue: true,
                })),
            ],
        },
        // A critical alert makes the warning of the same alert on the same node noise. instance
        // too: node-exporter's alerts carry no node label, and Alertmanager counts a label missing
        // on both alerts as equal, so without it one node's critical would mute every node's warning.
        inhibit_rules: [
            {
                source_matchers: ['severity = "critical"'],
                target_matchers: ['severity = "warning"'],
                equal: ["alertname", "namespace", "node", "instance"],
            },
        ],
        receivers: [{ name: NULL_RECEIVER }, ...receivers.map(receiverOf)],
    };
}

/** The configuration as the text of the Secret's `alertmanager.yaml`. */
export const alertmanagerConfigYaml = (receivers: readonly AlertReceiver[]): string =>
    YAML.stringify(alertmanagerConfig(receivers), { lineWidth: 0 });

/**
 * kube-prometheus-stack values that leave Alertmanager's configuration to our Secret:
 * `useExistingSecret` stops the chart rendering its own Secret of that name from
 * `alertmanager.config` (templates/alertmanager/secret.yaml), so no configuration travels through
 * Helm values, and the operator reads ours under its default name.
 */
export function alertmanagerValues(): HelmValues {
    return { alertmanager: { alertmanagerSpec: { useExistingSecret: true } } };
}
