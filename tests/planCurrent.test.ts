// The committed plan (plan/<stack>/) is what `npm run plan` writes today, so a pull request's own
// diff shows what it changes in each release's values; the workflow checks it and comments a summary.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import YAML from "yaml";
import { driftReport, exampleStacks, planDrift } from "../scripts/planCheck";
import { parseGitDiff, summarizePlanChanges, SUMMARY_MARKER } from "../scripts/planSummary";
import { planStack, StackPlan } from "../scripts/plan";
import { PROJECT_DIR } from "./helpers/run";

// Each plan loads the program afresh, as `npm run plan` does in a new process.
const loadFresh = (): Record<string, unknown> => {
    let loaded: Record<string, unknown> = {};
    jest.isolateModules(() => {
        loaded = require("../index");
    });
    return loaded;
};

const plans = new Map<string, Promise<StackPlan>>();
const planOf = (stack: string): Promise<StackPlan> => {
    if (!plans.has(stack)) plans.set(stack, planStack(stack, undefined, loadFresh));
    return plans.get(stack)!;
};

describe("the committed plan", () => {
    it("covers every example stack, one per Pulumi.<stack>.yaml, the dev stack among them", () => {
        expect(exampleStacks()).toContain("dev");
        expect(exampleStacks()).toEqual(
            fs
                .readdirSync(PROJECT_DIR)
                .filter((f) => /^Pulumi\..+\.yaml$/.test(f))
                .map((f) => f.slice("Pulumi.".length, -".yaml".length))
                .sort(),
        );
    });

    it.each(exampleStacks())("of stack %s is what `npm run plan` writes for it today", async (stack) => {
        expect(driftReport(stack, planDrift(await planOf(stack)))).toBe("");
    });

    it("names each changed, missing and extra file and the command that brings it up to date", async () => {
        const plan = await planOf("dev");
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "plan-drift-"));
        try {
            for (const [file, content] of plan.files) {
                fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
                fs.writeFileSync(path.join(dir, file), content);
            }
            fs.appendFileSync(path.join(dir, "loki.values.yaml"), "stale: true\n");
            fs.rmSync(path.join(dir, "objects/Secret.grafana-admin.yaml"));
            fs.writeFileSync(path.join(dir, "objects/ConfigMap.dashboard-removed.yaml"), "{}\n");

            expect(driftReport("dev", planDrift(plan, dir))).toBe(
                [
                    "plan/dev/ is stale:",
                    "  changed: loki.values.yaml",
                    "  missing: objects/Secret.grafana-admin.yaml (planned, not committed)",
                    "  extra:   objects/ConfigMap.dashboard-removed.yaml (committed, no longer planned)",
                    "Run `npm run plan -- --stack dev` and commit plan/dev/.",
                ].join("\n"),
            );
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("is the same on every run, with every Secret's data and the generated password masked", async () => {
        const again = await planStack("dev", undefined, loadFresh);
        expect(again.files).toEqual((await planOf("dev")).files);
        const secrets = [...again.files].filter(([file]) => file.startsWith("objects/Secret."));
        expect(secrets.length).toBeGreaterThan(0);
        for (const [, content] of secrets) expect(YAML.parse(content).stringData).toBe("[secret]");
        expect([...again.files.values()].join("\n")).not.toContain("offline-plan-generated-password");
    });
});

describe("the pull-request summary of the plan", () => {
    it("lists, per stack, each release whose values change and each applied object that changes", () => {
        const changes = parseGitDiff(
            [
                "M\tplan/dev/loki.values.yaml",
                "A\tplan/dev/alloy.values.yaml",
                "D\tplan/dev/promtail.values.yaml",
                "M\tplan/dev/objects/ConfigMap.dashboard-gpu-fleet.yaml",
                "M\tplan/production/tempo.values.yaml",
            ].join("\n"),
            [
                "3\t1\tplan/dev/loki.values.yaml",
                "80\t0\tplan/dev/alloy.values.yaml",
                "0\t75\tplan/dev/promtail.values.yaml",
                "12\t12\tplan/dev/objects/ConfigMap.dashboard-gpu-fleet.yaml",
                "1\t1\tplan/production/tempo.values.yaml",
            ].join("\n"),
        );
        expect(summarizePlanChanges(changes)).toBe(
            [
                SUMMARY_MARKER,
                "### Offline plan: what this pull request changes",
                "",
                "**Stack `dev`**",
                "",
                "| release or object | change | lines |",
                "|---|---|---|",
                "| Helm release `alloy` | new release | +80 |",
                "| Helm release `loki` | values changed | +3 −1 |",
                "| Helm release `promtail` | release removed | −75 |",
                "| ConfigMap `dashboard-gpu-fleet` | changed | +12 −12 |",
                "",
                "**Stack `production`**",
                "",
                "| release or object | change | lines |",
                "|---|---|---|",
                "| Helm release `tempo` | values changed | +1 −1 |",
                "",
                "The line-by-line changes are in this pull request's diff under `plan/<stack>/`.",
                "",
            ].join("\n"),
        );
    });

    it("says so when no release or object changes", () => {
        expect(summarizePlanChanges(parseGitDiff("", ""))).toBe(
            `${SUMMARY_MARKER}\n### Offline plan: what this pull request changes\n\nNo release's values and no applied object change in any example stack.\n`,
        );
    });
});

describe("the pull-request workflow", () => {
    const workflow = YAML.parse(fs.readFileSync(path.join(PROJECT_DIR, ".github/workflows/pull-request-preview.yml"), "utf8"));
    const step = (job: string, matches: (s: any) => boolean) => {
        const found = workflow.jobs[job].steps.find(matches);
        if (!found) throw new Error(`job ${job} has no such step`);
        return found;
    };
    const runs = (job: string, text: string) => step(job, (s) => typeof s.run === "string" && s.run.includes(text));

    it("runs on pull requests, may comment on them and only reads the repository", () => {
        expect(Object.keys(workflow.on)).toEqual(["pull_request"]);
        expect(workflow.permissions).toEqual({ contents: "read", "pull-requests": "write" });
    });

    it.each(["plan", "pulumi-preview"])("job %s installs exactly the locked dependencies on Node 20", (job) => {
        expect(step(job, (s) => s.uses === "actions/checkout@v4")).toBeDefined();
        expect(step(job, (s) => s.uses === "actions/setup-node@v4").with).toEqual({ "node-version": 20, cache: "npm" });
        expect(runs(job, "npm ci")).toBeDefined();
    });

    it("regenerates the plan of every Pulumi.<stack>.yaml with `npm run plan -- --stack <stack>`", () => {
        const script = runs("plan", "npm run plan").run;
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "plan-workflow-"));
        try {
            // The step's own shell script, with an `npm` that records what it is asked to run.
            for (const file of ["Pulumi.yaml", "Pulumi.dev.yaml", "Pulumi.production.yaml"])
                fs.writeFileSync(path.join(dir, file), "config: {}\n");
            fs.mkdirSync(path.join(dir, "bin"));
            fs.writeFileSync(path.join(dir, "bin/npm"), `#!/bin/sh\necho "npm $*" >> "${dir}/npm.log"\n`, { mode: 0o755 });
            const result = spawnSync("bash", ["-e", "-c", script], {
                cwd: dir,
                env: { ...process.env, PATH: `${dir}/bin:${process.env.PATH}` },
            });
            expect(result.status).toBe(0);
            expect(fs.readFileSync(path.join(dir, "npm.log"), "utf8")).toBe(
                "npm run plan -- --stack dev\nnpm run plan -- --stack production\n",
            );
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("fails when the regenerated plan differs from the committed one, new files included", () => {
        const check = runs("plan", "git diff --exit-code plan/").run;
        expect(check).toContain("git ls-files --others --exclude-standard plan/");
        expect(check).toContain("exit 1");
    });

    it("comments the summary against the base branch, editing its earlier comment", () => {
        expect(runs("plan", "scripts/planSummary.ts HEAD^1 HEAD")).toBeDefined();
        expect(step("plan", (s) => s.uses === "actions/checkout@v4").with["fetch-depth"]).toBe(2);
        const comment = step("plan", (s) => s.uses === "actions/github-script@v7");
        expect(comment.with.script).toContain("updateComment");
        expect(comment.with.script).toContain("createComment");
    });

    it("previews the dev stack with Pulumi's action only where the PULUMI_ACCESS_TOKEN secret is set", () => {
        const gate = workflow.jobs["pulumi-credentials"];
        expect(gate.steps[0].env.PULUMI_ACCESS_TOKEN).toBe("${{ secrets.PULUMI_ACCESS_TOKEN }}");
        expect(gate.outputs.configured).toBe("${{ steps.check.outputs.configured }}");
        const preview = workflow.jobs["pulumi-preview"];
        expect(preview.needs).toBe("pulumi-credentials");
        expect(preview.if).toBe("needs.pulumi-credentials.outputs.configured == 'true'");
        expect(preview.env.PULUMI_ACCESS_TOKEN).toBe("${{ secrets.PULUMI_ACCESS_TOKEN }}");
        expect(runs("pulumi-preview", "KUBECONFIG=").env.KUBECONFIG_CONTENT).toBe("${{ secrets.KUBECONFIG }}");
        expect(step("pulumi-preview", (s) => s.uses === "pulumi/actions@v6").with).toMatchObject({
            command: "preview",
            "stack-name": "${{ vars.PULUMI_STACK || 'dev' }}",
            diff: true,
            "comment-on-pr": true,
        });
    });

    it("reports its gate as configured exactly when the secret is non-empty", () => {
        const script = workflow.jobs["pulumi-credentials"].steps[0].run;
        const configured = (token: string) => {
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gate-"));
            try {
                const output = path.join(dir, "output");
                spawnSync("bash", ["-e", "-c", script], { env: { ...process.env, PULUMI_ACCESS_TOKEN: token, GITHUB_OUTPUT: output } });
                return fs.readFileSync(output, "utf8");
            } finally {
                fs.rmSync(dir, { recursive: true, force: true });
            }
        };
        expect(configured("pul-123")).toBe("configured=true\n");
        expect(configured("")).toBe("configured=false\n");
    });
});
