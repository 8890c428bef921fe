// `npm run plan`: the README's main command, run as a new user runs it.
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import YAML from "yaml";
import { PROJECT_DIR } from "./helpers/run";

const TSX = path.join(PROJECT_DIR, "node_modules/.bin/tsx");
const plan = (...args: string[]) => spawnSync(TSX, ["scripts/plan.ts", ...args], { cwd: PROJECT_DIR, encoding: "utf8", timeout: 60_000 });

describe("the offline plan", () => {
    const stack = "plan-test";
    const stackFile = path.join(os.tmpdir(), "Pulumi.plan-test.yaml");
    const outDir = path.join(PROJECT_DIR, "plan", stack);
    afterAll(() => fs.rmSync(outDir, { recursive: true, force: true }));

    it("prints the component tree and every release, and writes each release's values", () => {
        fs.writeFileSync(
            stackFile,
            YAML.stringify({ config: { "gpu-observability:namespace": "telemetry", "gpu-observability:loki": { retention: "3d" } } }),
        );
        const result = plan("--stack", stack, "--config-file", stackFile);
        expect(result.status).toBe(0);
        expect(result.stdout).toContain("ObservabilityStack gpu-observability");
        expect(result.stdout).toMatch(
            /└─ Helm release loki: chart loki 18\.11\.0 from https:\/\/grafana-community\.github\.io\/helm-charts in namespace telemetry/,
        );
        expect(result.stdout).toContain("grafanaAdminPassword: [secret]");
        expect(
            fs
                .readdirSync(outDir)
                .filter((f) => f.endsWith(".values.yaml"))
                .sort(),
        ).toEqual(
            ["dcgm-exporter", "grafana", "kube-prometheus-stack", "loki", "otel-collector", "promtail", "tempo"].map(
                (r) => `${r}.values.yaml`,
            ),
        );
        const loki = YAML.parse(fs.readFileSync(path.join(outDir, "loki.values.yaml"), "utf8"));
        expect(YAML.parse(loki.loki.config).limits_config.retention_period).toBe("3d");
    });

    it("writes every other object it applies, dashboards and alert rules included, with secrets masked", () => {
        const objects = fs.readdirSync(path.join(outDir, "objects"));
        expect(objects).toEqual(
            expect.arrayContaining([
                "ConfigMap.dashboard-gpu-fleet.yaml",
                "PrometheusRule.gpu-observability-alerts.yaml",
                "NetworkPolicy.default-deny-ingress.yaml",
            ]),
        );
        const secret = YAML.parse(fs.readFileSync(path.join(outDir, "objects", "Secret.grafana-admin.yaml"), "utf8"));
        expect(secret.stringData).toBe("[secret]");
    });

    it("removes the values of a release the config no longer installs", () => {
        fs.writeFileSync(stackFile, YAML.stringify({ config: { "gpu-observability:dcgmExporter": { enabled: false } } }));
        expect(plan("--stack", stack, "--config-file", stackFile).status).toBe(0);
        expect(fs.readdirSync(outDir)).not.toContain("dcgm-exporter.values.yaml");
    });

    it("prints the config error and exits non-zero on bad config", () => {
        fs.writeFileSync(stackFile, YAML.stringify({ config: { "gpu-observability:loki": { retention: "a week" } } }));
        const result = plan("--stack", stack, "--config-file", stackFile);
        expect(result.status).toBe(1);
        expect(result.stderr).toContain('gpu-observability:loki.retention: "a week" is not a positive duration');
    });

    it("plans the dev stack by default", () => {
        const out = execFileSync(TSX, ["scripts/plan.ts"], { cwd: PROJECT_DIR, encoding: "utf8" });
        expect(out).toContain('Offline plan of stack "dev" (Pulumi.dev.yaml)');
    });
});
