import { formatMs } from "./options";

/** An API of the stack, reached at `baseUrl` and named in messages as the user knows it: `loki:3100`. */
export interface Endpoint {
    label: string;
    baseUrl: string;
}

export interface HttpAnswer {
    status: number;
    statusText: string;
    body: string;
}

export interface HttpRequestInit {
    method?: "GET" | "POST";
    headers?: Record<string, string>;
    body?: string;
}

export interface RequestLimits {
    timeoutMs: number;
    /** Aborted when the whole run's deadline passes. */
    deadline: AbortSignal;
}

/**
 * One HTTP request under a time limit, the answer read whole. A request that times out, is refused
 * or breaks throws, naming the request; any status is returned, for the caller to judge.
 */
export async function httpRequest(endpoint: Endpoint, path: string, init: HttpRequestInit, limits: RequestLimits): Promise<HttpAnswer> {
    const what = `${init.method ?? "GET"} ${endpoint.label}${path}`;
    const timeout = AbortSignal.timeout(limits.timeoutMs);
    try {
        // The signal also bounds reading the body: a server that stalls mid-answer times out too.
        const response = await fetch(`${endpoint.baseUrl}${path}`, { ...init, signal: AbortSignal.any([timeout, limits.deadline]) });
        return { status: response.status, statusText: response.statusText, body: await response.text() };
    } catch (error) {
        if (timeout.aborted) throw new Error(`${what} timed out after ${formatMs(limits.timeoutMs)}`);
        if (limits.deadline.aborted) throw new Error(`${what} was cut short by the overall deadline`);
        throw new Error(`${what} failed: ${causeOf(error)}`);
    }
}

/** `answered 500 Internal Server Error: <the start of the body>`, for failure messages. */
export function describeAnswer(answer: HttpAnswer): string {
    const body = answer.body.replace(/\s+/g, " ").trim();
    const excerpt = body.length > 300 ? `${body.slice(0, 300)}...` : body;
    return `answered ${answer.status}${answer.statusText ? ` ${answer.statusText}` : ""}${excerpt ? `: ${excerpt}` : ""}`;
}

export const isSuccess = (answer: HttpAnswer): boolean => answer.status >= 200 && answer.status < 300;

/** The answer's body as JSON; a body that is not JSON is a failure naming the request. */
export function jsonOf<T>(answer: HttpAnswer, what: string): T {
    try {
        return JSON.parse(answer.body) as T;
    } catch {
        throw new Error(`${what} answered ${answer.status} with a body that is not JSON: ${answer.body.slice(0, 200)}`);
    }
}

// fetch reports every network failure as TypeError("fetch failed"); the reason is in its cause.
function causeOf(error: unknown): string {
    const cause = error instanceof Error ? (error.cause as { code?: string; message?: string } | undefined) : undefined;
    if (cause?.message) return cause.code && !cause.message.includes(cause.code) ? `${cause.code} ${cause.message}` : cause.message;
    return error instanceof Error ? error.message : String(error);
}
