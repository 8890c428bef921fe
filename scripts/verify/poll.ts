import { setTimeout as sleep } from "timers/promises";

/** One look: what was found, or why it is not there yet. */
export type Attempt<T> = { found: T } | { missing: string };

export interface PollLimits {
    attempts: number;
    intervalMs: number;
    /** Aborted when the whole run's deadline passes; polling stops then. */
    deadline: AbortSignal;
}

export type PollOutcome<T> = { ok: true; found: T; attempts: number } | { ok: false; attempts: number; lastMissing: string };

/**
 * Looks up to `attempts` times, `intervalMs` apart, until something is found. A look that throws
 * counts as a miss, its message kept: Tempo and Loki answer errors while they are still starting.
 */
export async function poll<T>(look: () => Promise<Attempt<T>>, limits: PollLimits): Promise<PollOutcome<T>> {
    let lastMissing = "not looked for";
    for (let attempt = 1; attempt <= limits.attempts; attempt++) {
        if (attempt > 1) {
            try {
                await sleep(limits.intervalMs, undefined, { signal: limits.deadline });
            } catch {
                return { ok: false, attempts: attempt - 1, lastMissing: `${lastMissing}; the overall deadline passed` };
            }
        }
        try {
            const result = await look();
            if ("found" in result) return { ok: true, found: result.found, attempts: attempt };
            lastMissing = result.missing;
        } catch (error) {
            lastMissing = error instanceof Error ? error.message : String(error);
        }
        if (limits.deadline.aborted) return { ok: false, attempts: attempt, lastMissing: `${lastMissing}; the overall deadline passed` };
    }
    return { ok: false, attempts: limits.attempts, lastMissing };
}
