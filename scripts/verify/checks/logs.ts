import { randomBytes } from "crypto";
import { LOKI_PUSH_PATH } from "../../../components/loki";
import { StackConfig } from "../../../config/schema";
import { Check, CheckContext } from "../context";
import { describeAnswer, isSuccess, jsonOf } from "../http";
import { disabledReason } from "../stackTargets";

export const VERIFY_LOG_LABELS = { job: "gpu-observability-verify" } as const;
const QUERY_RANGE_PATH = "/loki/api/v1/query_range";
// How far around the push the query looks: the pusher's and Loki's clocks may differ a little.
const QUERY_WINDOW_MS = 5 * 60_000;

interface QueryRangeAnswer {
    data?: { result?: { values?: [string, string][] }[] };
}

const nanos = (ms: number): string => (BigInt(ms) * 1_000_000n).toString();

/** The push the log shipper makes (Loki's JSON streams format): one line with the marker. */
export function testLogPush(marker: string, now = Date.now()) {
    return { streams: [{ stream: { ...VERIFY_LOG_LABELS }, values: [[nanos(now), `verify log pipeline marker=${marker}`]] }] };
}

/** The LogQL query that finds that line and nothing else. */
export const markerQuery = (marker: string): string =>
    `{${Object.entries(VERIFY_LOG_LABELS)
        .map(([label, value]) => `${label}="${value}"`)
        .join(",")}} |= "${marker}"`;

/**
 * A log line pushed to Loki as the shipper pushes turns up in a LogQL query for its marker: pushed
 * where the shipper pushes and queried where Grafana queries (in simple-scalable mode, the write
 * and the read target's Services), so the line travels Loki's own write and read paths.
 */
export function logCheck(config: StackConfig): Check {
    // A multi-tenant Loki files every line under the X-Scope-OrgID it came with; query as that tenant.
    const tenant = config.loki.tenant;
    const headers: Record<string, string> = tenant ? { "X-Scope-OrgID": tenant } : {};
    return { name: "logs", skip: disabledReason(config, "loki"), run: (context) => pushLogToLoki(context, headers) };
}

async function pushLogToLoki(context: CheckContext, tenantHeaders: Record<string, string>): Promise<string> {
    const marker = `verify-${randomBytes(8).toString("hex")}`;
    const now = Date.now();
    const pushTo = await context.endpoint(context.services.lokiPush);
    const pushed = await context.request(pushTo, LOKI_PUSH_PATH, {
        method: "POST",
        headers: { "Content-Type": "application/json", ...tenantHeaders },
        body: JSON.stringify(testLogPush(marker, now)),
    });
    if (!isSuccess(pushed)) throw new Error(`Loki refused the log line: POST ${pushTo.label}${LOKI_PUSH_PATH} ${describeAnswer(pushed)}`);

    const query = new URLSearchParams({
        query: markerQuery(marker),
        start: nanos(now - QUERY_WINDOW_MS),
        end: nanos(now + QUERY_WINDOW_MS),
        limit: "10",
        direction: "backward",
    });
    const path = `${QUERY_RANGE_PATH}?${query}`;
    const queryAt = await context.endpoint(context.services.lokiQuery);
    const outcome = await context.poll(async () => {
        const answer = await context.request(queryAt, path, { headers: tenantHeaders });
        if (!isSuccess(answer)) return { missing: `GET ${queryAt.label}${QUERY_RANGE_PATH} ${describeAnswer(answer)}` };
        const lines = (jsonOf<QueryRangeAnswer>(answer, `GET ${queryAt.label}${QUERY_RANGE_PATH}`).data?.result ?? []).flatMap(
            (stream) => stream.values ?? [],
        );
        const line = lines.find(([, text]) => text.includes(marker));
        return line ? { found: line } : { missing: `the query answered ${lines.length} matching lines` };
    });
    if (!outcome.ok) {
        throw new Error(
            `log line ${marker} pushed to ${pushTo.label} was not found by ${markerQuery(marker)} at ${queryAt.label} after ` +
                `${context.describePolling(outcome.attempts)} (last: ${outcome.lastMissing})`,
        );
    }
    return `log line ${marker} pushed to ${pushTo.label} found by LogQL at ${queryAt.label} on attempt ${outcome.attempts}`;
}
