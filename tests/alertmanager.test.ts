// Alertmanager's configuration: receivers from config, routing checked by amtool the way
// Alertmanager itself reads it, and credentials that travel only inside a Kubernetes Secret whose
// content is a Pulumi secret.
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import YAML from "yaml";
import { alertmanagerConfig, alertmanagerConfigSecretName, alertmanagerConfigYaml, alertmanagerValues } from "../components/alerting";
import { validateStackConfig } from "../config";
import { AlertReceiver } from "../config/alerts";
import { isSecretEnvelope } from "../scripts/lib/secrets";
import { PROJECT_DIR, ProgramRun, runIndex, runUserProgram, stackConfig, valuesOf } from "./helpers/run";

const INSTALL_SCRIPT = path.join(PROJECT_DIR, "scripts/install-promtool.sh");

// Credentials, each a string that must never appear outside the Secret.
const CREDENTIALS = {
    slackApiUrl: "https://hooks.slack.com/services/T024BE7LD/B08KJ3V1R/slackwebhooksecret0123",
    routingKey: "pdroutingkeysecret00000000000000",
    smtpPassword: "smtp-password-secret",
    webhookUrl: "https://hooks.example.com/alerts?token=webhooktokensecret",
};
const RECEIVERS = [
    { name: "gpu-oncall", severities: ["critical"], pagerduty: { routingKey: CREDENTIALS.routingKey } },
    { name: "ai-platform", slack: { apiUrl: CREDENTIALS.slackApiUrl, channel: "#gpu-alerts" } },
    { name: "ticketing", severities: ["warning"], webhook: { url: CREDENTIALS.webhookUrl } },
    {
        name: "platform-mail",
        email: {
            to: "platform@example.com",
            from: "alertmanager@example.com",
            smarthost: "smtp.example.com:587",
            authUsername: "alertmanager",
            authPassword: CREDENTIALS.smtpPassword,
        },
    },
];
const receiversOf = (receivers: unknown[]): AlertReceiver[] => validateStackConfig({ alerts: { receivers } }).alerts.receivers;

let workDir: string;
beforeAll(() => {
    execFileSync("bash", [INSTALL_SCRIPT], { stdio: "inherit" });
    workDir = fs.mkdtempSync(path.join(os.tmpdir(), "alertmanager-"));
});
afterAll(() => fs.rmSync(workDir, { recursive: true, force: true }));

/** Writes the generated configuration for amtool; returns its path. */
function configFile(receivers: AlertReceiver[]): string {
    const file = path.join(workDir, `alertmanager-${receivers.length}.yaml`);
    fs.writeFileSync(file, alertmanagerConfigYaml(receivers));
    return file;
}
const amtool = (...args: string[]) => {
    const run = spawnSync("amtool", args, { encoding: "utf8" });
    return { status: run.status, output: `${run.stdout}${run.stderr}` };
};
/** The receivers an alert with these labels is sent to, as Alertmanager's own routing code resolves them. */
const routedTo = (file: string, labels: Record<string, string>): string => {
    const run = amtool("config", "routes", "test", `--config.file=${file}`, ...Object.entries(labels).map(([k, v]) => `${k}=${v}`));
    if (run.status !== 0) throw new Error(run.output);
    return run.output
        .split("\n")
        .find((line) => !line.startsWith("Warning:"))!
        .trim();
};

describe("the Alertmanager configuration", () => {
    it("is valid for Alertmanager (amtool check-config), with every kind of receiver", () => {
        const run = amtool("check-config", configFile(receiversOf(RECEIVERS)));
        expect(run).toEqual({ status: 0, output: expect.stringContaining("SUCCESS") });
        expect(run.output).toContain(" - 5 receivers");
    });

    it("is refused by amtool when it is broken, so the check above can fail", () => {
        const broken = path.join(workDir, "broken.yaml");
        fs.writeFileSync(broken, YAML.stringify({ ...alertmanagerConfig(receiversOf(RECEIVERS)), receivers: [{ name: "null" }] }));
        expect(amtool("check-config", broken)).toMatchObject({
            status: 1,
            output: expect.stringContaining('undefined receiver "gpu-oncall"'),
        });
    });

    it.each([
        [{ alertname: "GpuXidError", severity: "critical", node: "gpu-node-1" }, "gpu-oncall,ai-platform,platform-mail"],
        [{ alertname: "GpuAllocatedIdle", severity: "warning", namespace: "tokkio" }, "ai-platform,ticketing,platform-mail"],
        [{ alertname: "KubePodCrashLooping", severity: "warning", namespace: "tokkio" }, "ai-platform,ticketing,platform-mail"],
        [{ alertname: "CPUThrottlingHigh", severity: "info", namespace: "tokkio" }, "null"],
        [{ alertname: "Watchdog", severity: "none" }, "null"],
        [{ alertname: "InfoInhibitor", severity: "none", namespace: "tokkio" }, "null"],
    ])("routes %j to %s", (labels, receivers) => {
        expect(routedTo(configFile(receiversOf(RECEIVERS)), labels)).toBe(receivers);
    });

    it("sends every alert to the null receiver when no receiver is configured", () => {
        const file = configFile([]);
        expect(amtool("check-config", file).status).toBe(0);
        expect(routedTo(file, { alertname: "GpuXidError", severity: "critical" })).toBe("null");
        expect(alertmanagerConfig([]).receivers).toEqual([{ name: "null" }]);
    });

    it("groups alerts by alertname, namespace and node", () => {
        expect((alertmanagerConfig([]).route as any).group_by).toEqual(["alertname", "namespace", "node"]);
    });

    it("lets a critical alert inhibit the warning of the same alert on the same node", () => {
        expect(alertmanagerConfig([]).inhibit_rules).toEqual([
            {
                source_matchers: ['severity = "critical"'],
                target_matchers: ['severity = "warning"'],
                equal: ["alertname", "namespace", "node", "instance"],
            },
        ]);
    });
});

describe("each kind of receiver", () => {
    it.each([
        ["webhook", RECEIVERS[2], { webhook_configs: [{ url: CREDENTIALS.webhookUrl, send_resolved: true }] }],
        [
            "slack",
            RECEIVERS[1],
            {
                slack_configs: [
                    expect.objectContaining({
                        api_url: CREDENTIALS.slackApiUrl,
                        channel: "#gpu-alerts",
                        send_resolved: true,
                        text: expect.stringContaining(".Annotations.description"),
                    }),
                ],
            },
        ],
        [
            "pagerduty",
            RECEIVERS[0],
            { pagerduty_configs: [expect.objectContaining({ routing_key: CREDENTIALS.routingKey, send_resolved: true })] },
        ],
        [
            "email",
            RECEIVERS[3],
            {
                email_configs: [
                    {
                        to: "platform@example.com",
                        from: "alertmanager@example.com",
                        smarthost: "smtp.example.com:587",
                        auth_username: "alertmanager",
                        auth_password: CREDENTIALS.smtpPassword,
                        send_resolved: true,
                    },
                ],
            },
        ],
    ])("renders %s receivers as their Alertmanager block", (_kind, receiver, block) => {
        const [, rendered] = alertmanagerConfig(receiversOf([receiver])).receivers as unknown[];
        expect(rendered).toEqual({ name: receiver.name, ...block });
    });

    it("takes critical and warning alerts unless told otherwise", () => {
        expect(receiversOf([RECEIVERS[1]])[0].severities).toEqual(["critical", "warning"]);
    });
});

describe("bad receivers", () => {
    const slack = { apiUrl: CREDENTIALS.slackApiUrl, channel: "#gpu-alerts" };
    it.each([
        [
            "a duplicate name",
            [
                { name: "team", slack },
                { name: "team", webhook: { url: CREDENTIALS.webhookUrl } },
            ],
            "alerts.receivers[1].name",
            /"team" is already the name of receivers\[0\]; give every receiver a unique name/,
        ],
        [
            "a receiver of no kind",
            [{ name: "team" }],
            "alerts.receivers[0]",
            /has no kind; set exactly one of webhook, slack, pagerduty, email/,
        ],
        [
            "a receiver of two kinds",
            [{ name: "team", slack, webhook: { url: CREDENTIALS.webhookUrl } }],
            "alerts.receivers[0]",
            /has 2 kinds \(webhook, slack\); set exactly one of webhook, slack, pagerduty, email/,
        ],
        ["the reserved name null", [{ name: "null", slack }], "alerts.receivers[0].name", /"null" is the stack's own receiver/],
        ["an unknown kind", [{ name: "team", teams: { url: "https://x" } }], "alerts.receivers[0].teams", /is not a known key/],
        [
            "a severity alerts do not have",
            [{ name: "team", slack, severities: ["info"] }],
            "alerts.receivers[0].severities[0]",
            /"info" is not allowed; use one of "critical", "warning"/,
        ],
        [
            "an empty routing key",
            [{ name: "team", pagerduty: { routingKey: "" } }],
            "alerts.receivers[0].pagerduty.routingKey",
            /^ {2}- \S+: is empty or contains spaces; use the integration key of a PagerDuty Events API v2 integration, set with `pulumi config set --secret`$/,
        ],
        [
            "an SMTP password without a user",
            [{ name: "m", email: { ...RECEIVERS[3].email, authUsername: undefined } }],
            "alerts.receivers[0].email.authPassword",
            /SMTP login needs both/,
        ],
    ])("refuse %s, naming the key", (_what, receivers, key, message) => {
        let error: Error | undefined;
        try {
            validateStackConfig({ alerts: { receivers } }, "gpu-observability:");
        } catch (e) {
            error = e as Error;
        }
        const line = error?.message.split("\n").find((l) => l.includes(`gpu-observability:${key}:`));
        expect(line).toMatch(message);
    });

    it("never repeat a credential in the error", () => {
        const leaked = "https://hooks.slack.com/services/T0/B0/ leaked-token";
        expect(() => validateStackConfig({ alerts: { receivers: [{ name: "team", slack: { ...slack, apiUrl: leaked } }] } })).toThrow(
            /alerts\.receivers\[0\]\.slack\.apiUrl: is empty or contains spaces; use the incoming-webhook URL Slack issued/,
        );
        expect(() => validateStackConfig({ alerts: { receivers: [{ name: "team", slack: { ...slack, apiUrl: leaked } }] } })).not.toThrow(
            /leaked-token/,
        );
    });

    it("accept credentials given as secure: values, which the offline plan sees as placeholders", async () => {
        const secure = { secure: "v1:c2VjcmV0LWluLXRoZS1zdGFjay1maWxl" };
        const run = await runIndex(
            stackConfig({
                alerts: {
                    receivers: [
                        { name: "gpu-oncall", pagerduty: { routingKey: secure } },
                        { name: "ai-platform", slack: { apiUrl: secure, channel: "#gpu-alerts" } },
                        { name: "ticketing", webhook: { url: secure } },
                        { name: "platform-mail", email: { ...RECEIVERS[3].email, authPassword: secure } },
                    ],
                },
            }),
        );
        expect(run.error).toBeUndefined();
    });
});

describe("receivers' credentials", () => {
    let run: ProgramRun;
    const secretName = alertmanagerConfigSecretName("kube-prometheus-stack");
    beforeAll(async () => {
        const settings = validateStackConfig({ alerts: { receivers: RECEIVERS } });
        run = await runUserProgram((components) => {
            // Required inside the program so it shares the freshly loaded Pulumi SDK.
            const { Alerting } = require("../components/alerting") as typeof import("../components/alerting");
            const prometheus = new components.Prometheus("prometheus", { namespace: "observability", settings: settings.prometheus });
            new Alerting("alerting", {
                namespace: "observability",
                settings: settings.alerts,
                installed: {
                    dcgmExporter: { job: "dcgm-exporter" },
                    otelCollector: true,
                    promtail: true,
                    alloy: false,
                    loki: true,
                    tempo: true,
                },
                alertmanagerConfigSecret: secretName,
                monitoringCrds: prometheus.release,
            });
            return {};
        });
    });
    const secret = () => run.resources.find((r) => r.type === "kubernetes:core/v1:Secret");
    const rule = () => run.resources.find((r) => r.type === "kubernetes:monitoring.coreos.com/v1:PrometheusRule");

    it("reach Kubernetes inside the Secret the operator reads, under the key alertmanager.yaml, as a Pulumi secret", () => {
        expect(run.error).toBeUndefined();
        expect(secret()?.inputs.metadata).toEqual({ name: secretName, namespace: "observability" });
        expect(isSecretEnvelope(secret()?.inputs.stringData)).toBe(true);
        const stored = YAML.parse(secret()?.inputs.stringData.value["alertmanager.yaml"]);
        expect(stored).toEqual(alertmanagerConfig(receiversOf(RECEIVERS)));
        expect(JSON.stringify(stored)).toContain(CREDENTIALS.routingKey);
    });

    it("appear in no PrometheusRule and no Helm values", () => {
        const elsewhere = JSON.stringify(run.resources.filter((r) => r !== secret()).map((r) => r.inputs));
        for (const credential of Object.values(CREDENTIALS)) expect(elsewhere).not.toContain(credential);
        expect(rule()).toBeDefined();
    });

    it("leave the rules to wait for the release that installs the PrometheusRule CRD", () => {
        const release = run.resources.find((r) => r.type === "kubernetes:helm.sh/v3:Release");
        expect(rule()?.dependencies).toContain(release?.urn);
        expect(rule()?.inputs.spec.groups.map((g: { name: string }) => g.name)).toEqual([
            "gpu-observability.gpus",
            "gpu-observability.telemetry-pipeline",
        ]);
    });
});

describe("the stack's Alertmanager", () => {
    it("reads the configuration the Alerting component keeps in its Secret, and no credential reaches a Helm release", async () => {
        const secure = { secure: "v1:c2VjcmV0LWluLXRoZS1zdGFjay1maWxl" };
        const run = await runIndex(stackConfig({ alerts: { receivers: [{ name: "gpu-oncall", pagerduty: { routingKey: secure } }] } }));
        const values = valuesOf(run, "kube-prometheus-stack");
        const secret = run.resources.find(
            (r) => r.type === "kubernetes:core/v1:Secret" && r.inputs.metadata.name === "alertmanager-kube-prometheus-stack-alertmanager",
        );
        expect(isSecretEnvelope(secret?.inputs.stringData)).toBe(true);
        expect(secret?.inputs.stringData.value["alertmanager.yaml"]).toContain("offline-plan-placeholder-secret");
        expect(values.alertmanager.alertmanagerSpec.useExistingSecret).toBe(true);
        const helmValues = JSON.stringify(run.resources.filter((r) => r.type.startsWith("kubernetes:helm")).map((r) => r.inputs.values));
        expect(helmValues).not.toContain("offline-plan-placeholder-secret");
    });
});

describe("kube-prometheus-stack's Alertmanager values", () => {
    it("keep the chart from rendering a configuration Secret of its own, so the operator reads ours", () => {
        expect(alertmanagerValues()).toEqual({ alertmanager: { alertmanagerSpec: { useExistingSecret: true } } });
    });

    it("name our Secret as the operator looks for it: alertmanager-<Alertmanager name>", () => {
        expect(alertmanagerConfigSecretName("kube-prometheus-stack")).toBe("alertmanager-kube-prometheus-stack-alertmanager");
    });
});
