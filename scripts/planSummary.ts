// The pull-request comment: which releases' values and which applied objects a change alters, per
// example stack, from the committed plan of the base and of the head.
//   npx tsx scripts/planSummary.ts <base> [<head>]     prints Markdown
import { execFileSync } from "child_process";
import { PROJECT_DIR } from "./lib/mockEngine";

/** The comment's first line: the workflow finds its earlier comment by it and edits that one. */
export const SUMMARY_MARKER = "<!-- gpu-observability:plan-summary -->";

export interface PlanFileChange {
    /** Path in the repository, e.g. plan/dev/loki.values.yaml. */
    path: string;
    status: "added" | "modified" | "deleted";
    added: number;
    deleted: number;
}

/** Reads `git diff --no-renames --name-status` and `--numstat` of the same two commits. */
export function parseGitDiff(nameStatus: string, numstat: string): PlanFileChange[] {
    const statuses = new Map<string, PlanFileChange["status"]>();
    for (const line of nameStatus.split("\n").filter(Boolean)) {
        const [code, file] = line.split("\t");
        statuses.set(file, code === "A" ? "added" : code === "D" ? "deleted" : "modified");
    }
    return numstat
        .split("\n")
        .filter(Boolean)
        .map((line) => {
            const [added, deleted, file] = line.split("\t");
            return { path: file, status: statuses.get(file) ?? "modified", added: Number(added), deleted: Number(deleted) };
        });
}

const WHAT = {
    release: { added: "new release", modified: "values changed", deleted: "release removed" },
    object: { added: "new object", modified: "changed", deleted: "removed" },
};

/** One table row: what the file stands for (a release's values, an applied object) and how it changed. */
function row(fileInStack: string, change: PlanFileChange): { order: string; cells: string[] } {
    const lines = [change.added > 0 ? `+${change.added}` : "", change.deleted > 0 ? `−${change.deleted}` : ""].filter(Boolean).join(" ");
    const release = /^([^/]+)\.values\.yaml$/.exec(fileInStack);
    if (release) return { order: `0 ${release[1]}`, cells: [`Helm release \`${release[1]}\``, WHAT.release[change.status], lines] };
    const object = /^objects\/([^.]+)\.(.+)\.yaml$/.exec(fileInStack);
    if (object)
        return { order: `1 ${object[1]} ${object[2]}`, cells: [`${object[1]} \`${object[2]}\``, WHAT.object[change.status], lines] };
    return { order: `2 ${fileInStack}`, cells: [`\`${fileInStack}\``, WHAT.object[change.status], lines] };
}

/** The Markdown comment: per stack, one row per changed release or object. */
export function summarizePlanChanges(changes: PlanFileChange[]): string {
    const byStack = new Map<string, ReturnType<typeof row>[]>();
    for (const change of changes) {
        const match = /^plan\/([^/]+)\/(.+)$/.exec(change.path);
        if (!match) continue;
        const [, stack, fileInStack] = match;
        byStack.set(stack, [...(byStack.get(stack) ?? []), row(fileInStack, change)]);
    }
    const lines = [SUMMARY_MARKER, "### Offline plan: what this pull request changes", ""];
    if (byStack.size === 0) {
        lines.push("No release's values and no applied object change in any example stack.");
        return lines.join("\n") + "\n";
    }
    for (const stack of [...byStack.keys()].sort()) {
        const rows = byStack.get(stack)!.sort((a, b) => a.order.localeCompare(b.order));
        lines.push(`**Stack \`${stack}\`**`, "", "| release or object | change | lines |", "|---|---|---|");
        lines.push(...rows.map((r) => `| ${r.cells.join(" | ")} |`), "");
    }
    lines.push("The line-by-line changes are in this pull request's diff under `plan/<stack>/`.");
    return lines.join("\n") + "\n";
}

function main() {
    const [base, head = "HEAD"] = process.argv.slice(2);
    if (!base) throw new Error("usage: planSummary.ts <base> [<head>]");
    const git = (...args: string[]) =>
        execFileSync("git", ["diff", "--no-renames", ...args, base, head, "--", "plan/"], { cwd: PROJECT_DIR, encoding: "utf8" });
    process.stdout.write(summarizePlanChanges(parseGitDiff(git("--name-status"), git("--numstat"))));
}

if (require.main === module) {
    try {
        main();
    } catch (error: unknown) {
        console.error(error instanceof Error ? error.message : String(error));
        process.exit(1);
    }
}
