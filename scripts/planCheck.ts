// Is the committed plan current? Plans every example stack in memory (the code `npm run plan` runs)
// and compares with plan/<stack>/, so a pull request's own diff shows what it changes in each
// release's values.
//   npx tsx scripts/planCheck.ts        exits 1 and names the stale files when a plan is stale
import * as fs from "fs";
import * as path from "path";
import { PROJECT_DIR } from "./lib/mockEngine";
import { planDir, planStack, StackPlan } from "./plan";

/** The example stacks: one per Pulumi.<stack>.yaml in the project root. */
export function exampleStacks(projectDir = PROJECT_DIR): string[] {
    return fs
        .readdirSync(projectDir)
        .map((file) => /^Pulumi\.(.+)\.yaml$/.exec(file)?.[1])
        .filter((stack): stack is string => stack !== undefined)
        .sort();
}

export interface PlanDrift {
    /** Planned and committed, with different content. */
    changed: string[];
    /** Planned, not committed. */
    missing: string[];
    /** Committed, no longer planned. */
    extra: string[];
}

/** Every file under `dir`, by its "/"-separated path inside it. */
function filesUnder(dir: string): string[] {
    if (!fs.existsSync(dir)) return [];
    return fs
        .readdirSync(dir, { recursive: true, withFileTypes: true })
        .filter((entry) => entry.isFile())
        .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)).split(path.sep).join("/"));
}

/** How the files in `dir` (plan/<stack>/ by default) differ from the plan. */
export function planDrift(plan: StackPlan, dir = planDir(plan.stack)): PlanDrift {
    const committed = new Set(filesUnder(dir));
    const planned = [...plan.files.keys()].sort();
    return {
        changed: planned.filter((file) => committed.has(file) && fs.readFileSync(path.join(dir, file), "utf8") !== plan.files.get(file)),
        missing: planned.filter((file) => !committed.has(file)),
        extra: [...committed].filter((file) => !plan.files.has(file)).sort(),
    };
}

/** What a developer reads when the committed plan is stale; empty when it is current. */
export function driftReport(stack: string, drift: PlanDrift): string {
    const lines = [
        ...drift.changed.map((file) => `  changed: ${file}`),
        ...drift.missing.map((file) => `  missing: ${file} (planned, not committed)`),
        ...drift.extra.map((file) => `  extra:   ${file} (committed, no longer planned)`),
    ];
    if (lines.length === 0) return "";
    return [`plan/${stack}/ is stale:`, ...lines, `Run \`npm run plan -- --stack ${stack}\` and commit plan/${stack}/.`].join("\n");
}

async function main() {
    const reports: string[] = [];
    for (const stack of exampleStacks()) {
        const report = driftReport(stack, planDrift(await planStack(stack)));
        console.log(report || `plan/${stack}/ is current.`);
        if (report) reports.push(report);
    }
    if (reports.length > 0) process.exit(1);
}

if (require.main === module) {
    main().catch((error: unknown) => {
        console.error(error instanceof Error ? error.message : String(error));
        process.exit(1);
    });
}
