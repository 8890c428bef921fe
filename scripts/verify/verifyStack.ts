import { StackConfig } from "../../config/schema";
import { grafanaChecks } from "./checks/grafana";
import { logCheck } from "./checks/logs";
import { prometheusChecks } from "./checks/prometheus";
import { traceCheck } from "./checks/traces";
import { workloadChecks } from "./checks/workloads";
import { ClusterAccess } from "./clusterAccess";
import { Check, CheckContext } from "./context";
import { formatMs, VerifyOptions } from "./options";
import { CheckResult } from "./result";

/** Every check, in the order an operator would look: workloads, then each signal end to end. */
export function stackChecks(config: StackConfig): Check[] {
    return [...workloadChecks(config), traceCheck(config), logCheck(config), ...prometheusChecks(config), ...grafanaChecks(config)];
}

/**
 * Runs every check of the stack one after another, reporting each result as it comes. The run has
 * one deadline: a check still running then fails, and the ones after it fail without starting.
 */
export async function verifyStack(
    config: StackConfig,
    cluster: ClusterAccess,
    options: VerifyOptions,
    report: (result: CheckResult) => void = () => {},
): Promise<CheckResult[]> {
    const deadline = new AbortController();
    const deadlineTimer = setTimeout(() => deadline.abort(), options.deadlineMs);
    const context = new CheckContext(config, cluster, options, deadline.signal);
    const results: CheckResult[] = [];
    try {
        for (const check of stackChecks(config)) {
            const result = await runCheck(check, context, formatMs(options.deadlineMs));
            results.push(result);
            report(result);
        }
    } finally {
        clearTimeout(deadlineTimer);
    }
    return results;
}

async function runCheck(check: Check, context: CheckContext, deadlineText: string): Promise<CheckResult> {
    if (check.skip) return { status: "SKIP", check: check.name, detail: check.skip };
    if (context.deadline.aborted) {
        return { status: "FAIL", check: check.name, detail: `not run: the overall deadline of ${deadlineText} had passed` };
    }
    let onDeadline = () => {};
    const deadlinePassed = new Promise<never>((_, reject) => {
        onDeadline = () => reject(new Error(`not finished within the overall deadline of ${deadlineText}`));
        context.deadline.addEventListener("abort", onDeadline, { once: true });
    });
    const running = Promise.resolve().then(() => check.run(context));
    // Once the deadline has won the race, the abandoned check's own failure is of no interest.
    running.catch(() => {});
    try {
        const detail = await Promise.race([running, deadlinePassed]);
        return { status: "PASS", check: check.name, detail };
    } catch (error) {
        return { status: "FAIL", check: check.name, detail: error instanceof Error ? error.message : String(error) };
    } finally {
        context.deadline.removeEventListener("abort", onDeadline);
    }
}
