// One line per check, then the summary line CI and people read: `N passed, M failed, K skipped`.

export type CheckStatus = "PASS" | "FAIL" | "SKIP";

export interface CheckResult {
    status: CheckStatus;
    check: string;
    /** What was seen (PASS), what is wrong (FAIL), or why the check does not apply (SKIP). */
    detail: string;
}

export const formatResult = ({ status, check, detail }: CheckResult): string => `${status} ${check}: ${detail}`;

export function summaryLine(results: readonly CheckResult[]): string {
    const count = (status: CheckStatus) => results.filter((result) => result.status === status).length;
    return `${count("PASS")} passed, ${count("FAIL")} failed, ${count("SKIP")} skipped`;
}

/** 1 when any check failed: the stack is not working as deployed. */
export const exitCodeOf = (results: readonly CheckResult[]): number => (results.some((result) => result.status === "FAIL") ? 1 : 0);
