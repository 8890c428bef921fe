import { randomBytes } from "crypto";
import { StackConfig } from "../../../config/schema";
import { Check, CheckContext } from "../context";
import { describeAnswer, isSuccess } from "../http";
import { disabledReason } from "../stackTargets";

export const VERIFY_SERVICE_NAME = "gpu-observability-verify";
// The OTLP/HTTP receiver's traces path (OTLP specification, "OTLP/HTTP Request").
const OTLP_TRACES_PATH = "/v1/traces";

/** One span of a fresh trace, in OTLP/JSON: ids are hex strings, times decimal nanoseconds. */
export function testSpan(traceId: string, now = Date.now()) {
    const nanos = (ms: number) => (BigInt(ms) * 1_000_000n).toString();
    return {
        resourceSpans: [
            {
                resource: { attributes: [{ key: "service.name", value: { stringValue: VERIFY_SERVICE_NAME } }] },
                scopeSpans: [
                    {
                        scope: { name: VERIFY_SERVICE_NAME },
                        spans: [
                            {
                                traceId,
                                spanId: randomBytes(8).toString("hex"),
                                name: "verify trace pipeline",
                                kind: 1,
                                startTimeUnixNano: nanos(now - 5),
                                endTimeUnixNano: nanos(now),
                                attributes: [{ key: "gpu-observability.check", value: { stringValue: "traces" } }],
                            },
                        ],
                    },
                ],
            },
        ],
    };
}

/** A span sent to the collector's OTLP/HTTP endpoint turns up in Tempo, looked up by its trace id. */
export function traceCheck(config: StackConfig): Check {
    return { name: "traces", skip: disabledReason(config, "otelCollector", "tempo"), run: sendTraceToTempo };
}

async function sendTraceToTempo(context: CheckContext): Promise<string> {
    const traceId = randomBytes(16).toString("hex");
    const collector = await context.endpoint(context.services.otlpHttp);
    const sent = await context.request(collector, OTLP_TRACES_PATH, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(testSpan(traceId)),
    });
    if (!isSuccess(sent)) {
        throw new Error(`the collector refused trace ${traceId}: POST ${collector.label}${OTLP_TRACES_PATH} ${describeAnswer(sent)}`);
    }

    const tempo = await context.endpoint(context.services.tempoQuery);
    const path = `/api/traces/${traceId}`;
    const outcome = await context.poll(async () => {
        const answer = await context.request(tempo, path, { headers: { Accept: "application/json" } });
        if (isSuccess(answer)) return { found: answer };
        return { missing: `GET ${tempo.label}${path} ${describeAnswer(answer)}` };
    });
    if (!outcome.ok) {
        throw new Error(
            `trace ${traceId} sent to ${collector.label} was not found in Tempo after ${context.describePolling(outcome.attempts)} ` +
                `(last: ${outcome.lastMissing})`,
        );
    }
    return `trace ${traceId} sent to ${collector.label} found in Tempo (${tempo.label}) on attempt ${outcome.attempts}`;
}
