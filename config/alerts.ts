import { z } from "zod";
import { duration } from "./formats";

/** Alertmanager receiver the stack reserves for alerts nobody is notified of (Watchdog, info, no receivers). */
export const NULL_RECEIVER = "null";
export const ALERT_SEVERITIES = ["critical", "warning"] as const;
export type AlertSeverity = (typeof ALERT_SEVERITIES)[number];
const RECEIVER_KINDS = ["webhook", "slack", "pagerduty", "email"] as const;

/** A number in (min, max], refused with one message that says what is allowed. */
const numberWithin = (min: number, max: number, what: string) =>
    z.number().refine((value) => value > min && value <= max, {
        error: (issue) => `${JSON.stringify(issue.input)} is not ${what}; use a number above ${min} and at most ${max}`,
    });

const thresholdsSchema = z
    .strictObject({
        // nvidia-smi -q reports a "GPU Max Operating Temp" of 83 to 92 °C depending on the board
        // (87 °C on A100/H100 SXM); above it the driver slows the clocks down (SW thermal
        // slowdown). 85 warns before most data-center GPUs throttle; set yours from
        // `nvidia-smi -q -d TEMPERATURE`.
        gpuTemperatureCelsius: numberWithin(30, 120, "a GPU temperature in °C")
            .default(85)
            .describe("GPU temperature (DCGM_FI_DEV_GPU_TEMP, °C) above which GpuTemperatureHigh fires after 5 minutes."),
        // LLM servers reserve most of the framebuffer up front by design (vLLM's
        // gpu_memory_utilization and TensorRT-LLM's kv_cache_free_gpu_mem_fraction both default to
        // 0.9), so 90% is normal for them; past 95% the next allocation is close to a CUDA
        // out-of-memory error.
        gpuMemoryUsedPercent: numberWithin(0, 100, "a percentage")
            .default(95)
            .describe(
                "Framebuffer used, percent of used+free (DCGM_FI_DEV_FB_USED/FB_FREE), above which GpuMemoryNearlyFull fires after 5 minutes.",
            ),
        // DCGM_FI_DEV_GPU_UTIL is the share of time a kernel ran. A loaded model waiting for
        // requests reads 0-1%, health probes a few percent at most; any served traffic of a
        // real-time pipeline (speech, animation) is well above 5.
        idleGpuUtilizationPercent: numberWithin(0, 100, "a percentage")
            .default(5)
            .describe("Utilisation (DCGM_FI_DEV_GPU_UTIL, %) under which a GPU allocated to a pod counts as idle."),
        // Longer than a quiet spell between sessions or a model warming up, short enough to catch a
        // forgotten allocation within a working day.
        idleGpuFor: duration.default("2h").describe("How long an allocated GPU must stay idle before GpuAllocatedIdle fires."),
        // kube-prometheus' TargetDown waits 10m too: a rolling update or a rescheduled pod is back
        // well within it.
        gpuExporterMissingFor: duration
            .default("10m")
            .describe("How long a node with allocatable GPUs may have no healthy DCGM exporter target before GpuExporterMissing fires."),
        // The collector retries a batch for otelCollector.queue.retryWindow (10m by default) and
        // Promtail for about 8.5 minutes before dropping it: losses lasting longer than that are
        // not a restart being ridden out.
        pipelineLossFor: duration
            .default("10m")
            .describe(
                "How long telemetry must keep being lost (send failures, refused spans, dropped or discarded entries, a nearly full queue) before the pipeline alerts fire.",
            ),
    })
    .prefault({})
    .describe("Thresholds of the GPU and telemetry-pipeline alerts.");

// Credentials, and URLs that carry one, arrive as `secure:` values, which the offline plan replaces
// with a placeholder: only their presence is checked here (Alertmanager checks their form when the
// operator loads the configuration), and no message repeats them.
const credential = (what: string) =>
    z.string().regex(/^\S+$/, { error: `is empty or contains spaces; use ${what}, set with \`pulumi config set --secret\`` });

const emailAddresses = z.string().regex(/^[^@\s,]+@[^@\s,]+(\s*,\s*[^@\s,]+@[^@\s,]+)*$/, {
    error: (issue) =>
        `${JSON.stringify(issue.input)} is not an e-mail address; use one (or a comma-separated list) such as oncall@example.com`,
});

const receiverSchema = z
    .strictObject({
        name: z
            .string()
            .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/, {
                error: (issue) =>
                    `${JSON.stringify(issue.input)} is not a valid receiver name; use up to 63 letters, digits, '-', '_' or '.', starting with a letter or digit`,
            })
            .refine((name) => name !== NULL_RECEIVER, {
                error: `"${NULL_RECEIVER}" is the stack's own receiver for alerts nobody is notified of; choose another name`,
            })
            .describe("Name of the receiver, unique among the receivers."),
        severities: z
            .array(z.enum(ALERT_SEVERITIES))
            .min(1)
            .default([...ALERT_SEVERITIES])
            .describe("Severities of the alerts sent to this receiver."),
        webhook: z
            .strictObject({
                url: credential("the http(s) URL the alerts are POSTed to").describe(
                    "URL the alerts are POSTed to; when it carries a token, set it as a secret.",
                ),
            })
            .optional()
            .describe("Alertmanager's generic webhook."),
        slack: z
            .strictObject({
                apiUrl: credential("the incoming-webhook URL Slack issued").describe(
                    "The Slack incoming-webhook URL (a credential: set it with --secret).",
                ),
                channel: z
                    .string()
                    .regex(/^[#@]?[a-z0-9][a-z0-9._-]{0,79}$/, {
                        error: (issue) => `${JSON.stringify(issue.input)} is not a Slack channel; use one such as #gpu-alerts`,
                    })
                    .describe("Channel the alerts are posted to, such as #gpu-alerts."),
            })
            .optional()
            .describe("A Slack channel, through an incoming webhook."),
        pagerduty: z
            .strictObject({
                routingKey: credential("the integration key of a PagerDuty Events API v2 integration").describe(
                    "Integration (routing) key of a PagerDuty Events API v2 integration (a credential: set it with --secret).",
                ),
            })
            .optional()
            .describe("A PagerDuty service, through the Events API v2."),
        email: z
            .strictObject({
                to: emailAddresses.describe("Recipient address(es), comma-separated."),
                from: emailAddresses.describe("Sender address."),
                smarthost: z
                    .string()
                    .regex(/^[A-Za-z0-9.-]+:\d{1,5}$/, {
                        error: (issue) =>
                            `${JSON.stringify(issue.input)} is not an SMTP host and port; use one such as smtp.example.com:587`,
                    })
                    .describe("SMTP server as host:port; Alertmanager requires TLS (STARTTLS) to it."),
                authUsername: z.string().min(1).optional().describe("SMTP login user."),
                authPassword: credential("the SMTP password")
                    .optional()
                    .describe("SMTP login password (a credential: set it with --secret)."),
            })
            .refine((email) => email.authPassword === undefined || email.authUsername !== undefined, {
                path: ["authPassword"],
                error: "is set without authUsername; SMTP login needs both",
            })
            .optional()
            .describe("E-mail through an SMTP server."),
    })
    .superRefine((receiver, ctx) => {
        const kinds = RECEIVER_KINDS.filter((kind) => receiver[kind] !== undefined);
        if (kinds.length === 1) return;
        ctx.addIssue({
            code: "custom",
            path: [],
            message:
                kinds.length === 0
                    ? `has no kind; set exactly one of ${RECEIVER_KINDS.join(", ")}`
                    : `has ${kinds.length} kinds (${kinds.join(", ")}); set exactly one of ${RECEIVER_KINDS.join(", ")}, and add another receiver for each other one`,
        });
    });

export const alertsConfigSchema = z
    .strictObject({
        thresholds: thresholdsSchema,
        receivers: z
            .array(receiverSchema)
            .default([])
            .superRefine((receivers, ctx) => {
                receivers.forEach((receiver, i) => {
                    const first = receivers.findIndex((other) => other.name === receiver.name);
                    if (first < i) {
                        ctx.addIssue({
                            code: "custom",
                            path: [i, "name"],
                            message: `"${receiver.name}" is already the name of receivers[${first}]; give every receiver a unique name`,
                        });
                    }
                });
            })
            .describe(
                "Where Alertmanager sends alerts: each a name, one of webhook, slack, pagerduty or email, and the severities it takes. None: alerts are only shown in Alertmanager and Grafana.",
            ),
    })
    .describe("Alert rules on GPUs and the telemetry pipeline, and where Alertmanager sends alerts.");

export type AlertsConfig = z.infer<typeof alertsConfigSchema>;
export type AlertThresholds = AlertsConfig["thresholds"];
export type AlertReceiver = AlertsConfig["receivers"][number];
