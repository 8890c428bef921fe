// Every wait of `verify` is bounded; these are the bounds. The defaults suit a real cluster, where
// a span or a log line takes seconds to become queryable; tests lower them to milliseconds.

export interface VerifyOptions {
    /** Time limit of one HTTP request or Kubernetes API call. */
    requestTimeoutMs: number;
    /** How many times a trace or a log line is looked for before the check fails. */
    pollAttempts: number;
    /** The pause between two of those attempts. */
    pollIntervalMs: number;
    /** The whole run's time limit: checks still running then fail, and later ones do not start. */
    deadlineMs: number;
}

export const DEFAULT_OPTIONS: Readonly<VerifyOptions> = {
    requestTimeoutMs: 10_000,
    pollAttempts: 20,
    pollIntervalMs: 3_000,
    deadlineMs: 5 * 60_000,
};

/** `200` -> `200 ms`, `1500` -> `1.5 s`, `300000` -> `5 min`: how a bound is named in a failure. */
export function formatMs(ms: number): string {
    if (ms >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000} min`;
    return ms >= 1000 ? `${Number((ms / 1000).toFixed(1))} s` : `${ms} ms`;
}
