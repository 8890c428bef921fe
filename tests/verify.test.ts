import { execFile } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { DATASOURCE_UIDS } from "../components/datasources";
import { StackConfig, StackConfigInput } from "../config/schema";
import { validateStackConfig } from "../config/validate";
import { isSecretEnvelope } from "../scripts/lib/secrets";
import { main } from "../scripts/verify";
import { ClusterAccess } from "../scripts/verify/clusterAccess";
import { containerPortNamed, daemonSetWorkload, describeKubeError, isPodReady, targetPortOf } from "../scripts/verify/kubeObjects";
import { VerifyOptions } from "../scripts/verify/options";
import { CheckResult, summaryLine } from "../scripts/verify/result";
import { loadStackConfig } from "../scripts/verify/stackConfig";
import { DCGM_EXPORTER_JOB, DEFAULT_RELEASE_NAMES, GRAFANA_ADMIN_SECRET, StackApi, stackServices } from "../scripts/verify/stackTargets";
import { verifyStack } from "../scripts/verify/verifyStack";
import { parseServiceAddress, RENDERED_SERVICES } from "./fixtures/renderedServices";
import { GPU_NODES, StandinStack, startStandin, startStandinApiServer, startStandinStack } from "./helpers/standins";
import { devStackConfig, exampleStackConfig, PROJECT_DIR, releaseNames, runIndex, valuesOf } from "./helpers/run";

// Small bounds, so a failing check gives up in well under a second.
const FAST: VerifyOptions = { requestTimeoutMs: 500, pollAttempts: 3, pollIntervalMs: 20, deadlineMs: 10_000 };
const FAST_FLAGS = ["--request-timeout", "500ms", "--poll-attempts", "3", "--poll-interval", "20ms"];

const stackConfig = (input: StackConfigInput = {}): StackConfig => validateStackConfig(input);

let stack: StandinStack | undefined;
afterEach(async () => {
    await stack?.close();
    stack = undefined;
});

async function verifyWith(config: StackConfig, breakIt: (stack: StandinStack) => void = () => {}, options = FAST) {
    stack = await startStandinStack(config);
    breakIt(stack);
    const results = await verifyStack(config, stack.cluster, options);
    return { stack, results, result: (check: string) => resultOf(results, check) };
}

function resultOf(results: CheckResult[], check: string): CheckResult {
    const found = results.find((result) => result.check === check);
    if (!found) throw new Error(`no check ${check}; ran: ${results.map((r) => r.check).join(", ")}`);
    return found;
}

const failures = (results: CheckResult[]) => results.filter((result) => result.status === "FAIL");

describe("verify on a healthy stack", () => {
    it("passes every check, each on one line, and exits 0 with the summary line", async () => {
        const config = loadStackConfig(path.join(PROJECT_DIR, "Pulumi.dev.yaml"), "dev");
        stack = await startStandinStack(config);
        const out: string[] = [];
        const code = await main(["--stack", "dev", ...FAST_FLAGS], {
            connect: async () => stack!.cluster,
            print: (line) => out.push(line),
        });

        expect(code).toBe(0);
        const checkLines = out.filter((line) => /^(PASS|FAIL|SKIP) /.test(line));
        expect(checkLines.length).toBeGreaterThan(10);
        for (const line of checkLines) expect(line).toMatch(/^PASS [\w/-]+: \S/);
        expect(out[out.length - 1]).toBe(`${checkLines.length} passed, 0 failed, 0 skipped`);
        expect(stack.cluster.closed).toBe(true);
    });

    it("finds the test span in Tempo by the trace id it sent, as service gpu-observability-verify", async () => {
        const { stack, result } = await verifyWith(stackConfig());
        const [traceId] = stack.tracesReceived;
        expect(traceId).toMatch(/^[0-9a-f]{32}$/);
        expect(result("traces")).toEqual({ status: "PASS", check: "traces", detail: expect.stringContaining(traceId) });
        expect(stack.standins.tempoQuery.requests).toContain(`GET /api/traces/${traceId}`);
    });

    it("pushes a log line with a unique marker and finds it with a LogQL query", async () => {
        const { stack, result } = await verifyWith(stackConfig());
        expect(stack.logLines).toEqual([
            { labels: { job: "gpu-observability-verify" }, line: expect.stringMatching(/marker=verify-[0-9a-f]{16}$/) },
        ]);
        const marker = /marker=(\S+)/.exec(stack.logLines[0].line)![1];
        expect(result("logs")).toEqual({ status: "PASS", check: "logs", detail: expect.stringContaining(marker) });
        const query = stack.standins.lokiQuery.requests.find((request) => request.startsWith("GET /loki/api/v1/query_range"))!;
        expect(new URL(query.slice(4), "http://loki").searchParams.get("query")).toBe(`{job="gpu-observability-verify"} |= "${marker}"`);
    });

    it("counts one up DCGM exporter target per GPU node", async () => {
        const { result } = await verifyWith(stackConfig());
        expect(result("gpu-metrics").detail).toBe(`2 GPU nodes match nvidia.com/gpu.present=true, 2 ${DCGM_EXPORTER_JOB} targets up`);
    });

    it("checks each provisioned datasource with the admin login from the grafana-admin Secret", async () => {
        const { stack, result } = await verifyWith(stackConfig());
        for (const uid of Object.values(DATASOURCE_UIDS)) expect(result(`grafana-datasource/${uid}`).status).toBe("PASS");
        // Alertmanager's datasource has no backend health check; Grafana's proxy reaches its status instead.
        expect(stack.standins.grafana.requests).toContain("GET /api/datasources/proxy/uid/alertmanager/api/v2/status");
        expect(stack.standins.grafana.requests).toContain("GET /api/datasources/uid/loki/health");
    });

    it("reaches each API through the cluster access by its Service and port in the stack's namespace", async () => {
        const config = stackConfig({ namespace: "telemetry" });
        const { stack } = await verifyWith(config);
        expect(new Set(stack.cluster.opened)).toEqual(
            new Set(Object.values(stackServices(config)).map(({ service, port }) => `telemetry/${service}:${port}`)),
        );
    });
});

describe("verify on a production stack: Loki simple-scalable, Tempo distributed", () => {
    const production = () => loadStackConfig(path.join(PROJECT_DIR, "Pulumi.production.yaml"), "production");

    it("passes every check, each release's workloads being its targets' or components'", async () => {
        const { results, result } = await verifyWith(production());
        expect(failures(results)).toEqual([]);
        expect(result("workloads/loki").detail).toBe(
            "StatefulSet loki-write 1/1 ready, Deployment loki-read 1/1 ready, StatefulSet loki-backend 1/1 ready",
        );
        expect(result("workloads/tempo").detail).toContain("Deployment tempo-query-frontend 1/1 ready");
    });

    it("pushes the log line to Loki's write Service and finds it through its read Service", async () => {
        const { stack, result } = await verifyWith(production());
        const marker = /marker=(\S+)/.exec(stack.logLines[0].line)![1];
        expect(stack.standins.lokiPush.requests).toEqual(["POST /loki/api/v1/push"]);
        expect(stack.standins.lokiQuery.requests).toContainEqual(expect.stringMatching(/^GET \/loki\/api\/v1\/query_range\?/));
        expect(result("logs")).toEqual({
            status: "PASS",
            check: "logs",
            detail: `log line ${marker} pushed to loki-write:3100 found by LogQL at loki-read:3100 on attempt 1`,
        });
    });

    it("looks the trace up at Tempo's query-frontend", async () => {
        const { stack, result } = await verifyWith(production());
        expect(stack.cluster.opened).toContain("observability/tempo-query-frontend:3200");
        expect(result("traces").detail).toMatch(/found in Tempo \(tempo-query-frontend:3200\) on attempt 1$/);
    });

    it("fails the log check naming the write Service when Loki's write target refuses the push", async () => {
        const { result } = await verifyWith(production(), (s) => (s.behaviour.lokiPushStatus = 500));
        expect(result("logs").detail).toBe(
            "Loki refused the log line: POST loki-write:3100/loki/api/v1/push answered 500 Internal Server Error: rpc error: ingester unavailable",
        );
    });
});

describe("verify reports what is broken", () => {
    it("fails the trace check, naming the trace id, when the span never reaches Tempo", async () => {
        const { stack, result } = await verifyWith(stackConfig(), (s) => (s.behaviour.collectorDropsSpans = true));
        const [traceId] = stack.tracesReceived;
        const traces = result("traces");
        expect(traces.status).toBe("FAIL");
        expect(traces.detail).toContain(`trace ${traceId}`);
        expect(traces.detail).toContain("not found in Tempo after 3 attempts 20 ms apart");
        expect(traces.detail).toContain("404 Not Found: trace not found");
        expect(stack.standins.tempoQuery.requests.filter((request) => request === `GET /api/traces/${traceId}`)).toHaveLength(3);
    });

    it("fails the log check with Loki's status when Loki answers 500 to the push", async () => {
        const { result } = await verifyWith(stackConfig(), (s) => (s.behaviour.lokiPushStatus = 500));
        expect(result("logs")).toEqual({
            status: "FAIL",
            check: "logs",
            detail: "Loki refused the log line: POST loki:3100/loki/api/v1/push answered 500 Internal Server Error: rpc error: ingester unavailable",
        });
    });

    it("names each Prometheus target that is down by job and instance", async () => {
        const { result } = await verifyWith(stackConfig(), (s) => {
            const kubeStateMetrics = s.behaviour.targets.find((t) => t.labels.job === "kube-state-metrics")!;
            Object.assign(kubeStateMetrics, { health: "down", lastError: "connection refused" });
        });
        expect(result("prometheus-targets")).toMatchObject({
            status: "FAIL",
            detail: "1 of 5 targets not up: kube-state-metrics/10.0.0.11:8080 is down (connection refused)",
        });
    });

    it("fails the GPU check with both counts and the node when a GPU node has no DCGM exporter target", async () => {
        const { result } = await verifyWith(stackConfig(), (s) => {
            s.behaviour.targets = s.behaviour.targets.filter((t) => t.labels.node !== GPU_NODES[1]);
        });
        expect(result("gpu-metrics")).toMatchObject({
            status: "FAIL",
            detail:
                `2 GPU nodes match nvidia.com/gpu.present=true, 1 ${DCGM_EXPORTER_JOB} target up: ` +
                `expected one up target of job ${DCGM_EXPORTER_JOB} per GPU node; no up target on ${GPU_NODES[1]}`,
        });
        expect(result("prometheus-targets").status).toBe("PASS");
    });

    it("fails a datasource's check with its uid and Grafana's message when its health check fails", async () => {
        const { result } = await verifyWith(stackConfig(), (s) => {
            s.behaviour.datasourceHealth.tempo = {
                status: 400,
                body: { status: "ERROR", message: "failed to connect to Tempo: connection refused" },
            };
        });
        expect(result("grafana-datasource/tempo")).toMatchObject({
            status: "FAIL",
            detail: "datasource tempo health check failed: ERROR: failed to connect to Tempo: connection refused",
        });
        expect(result("grafana-datasource/loki").status).toBe("PASS");
    });

    it("fails a datasource's check when the admin Secret cannot be read", async () => {
        const { result } = await verifyWith(stackConfig(), (s) => (s.cluster.secrets = {}));
        expect(result("grafana-datasource/prometheus")).toMatchObject({
            status: "FAIL",
            detail: 'reading Secret observability/grafana-admin failed: secrets "grafana-admin" not found',
        });
        expect(result("grafana").status).toBe("PASS");
    });

    it("fails a request that is slower than the time limit as a time-out, without waiting for it", async () => {
        const started = Date.now();
        const { result } = await verifyWith(stackConfig(), (s) => (s.behaviour.grafanaHealthDelayMs = 20_000), {
            ...FAST,
            requestTimeoutMs: 200,
        });
        expect(result("grafana")).toMatchObject({ status: "FAIL", detail: "GET grafana:80/api/health timed out after 200 ms" });
        expect(Date.now() - started).toBeLessThan(5_000);
    });

    it("fails a release's workload check naming the release and the workload that is not ready", async () => {
        const { result } = await verifyWith(stackConfig(), (s) => {
            s.cluster.workloads = s.cluster.workloads.map((w) => (w.name === "loki" ? { ...w, ready: 0 } : w));
        });
        expect(result("workloads/loki")).toMatchObject({ status: "FAIL", detail: "release loki: StatefulSet loki 0/1 ready" });
        expect(result("workloads/tempo").status).toBe("PASS");
    });

    it("fails a release's workload check when the release has no workloads at all", async () => {
        const { result } = await verifyWith(stackConfig(), (s) => {
            s.cluster.workloads = s.cluster.workloads.filter((w) => w.labels["app.kubernetes.io/instance"] !== "otel-collector");
        });
        expect(result("workloads/otel-collector").detail).toBe(
            "no Deployment, StatefulSet or DaemonSet of release otel-collector in namespace observability " +
                "(none labelled app.kubernetes.io/instance=otel-collector or release=otel-collector)",
        );
    });

    it("groups workloads by the release label when they lack app.kubernetes.io/instance", async () => {
        const { result } = await verifyWith(stackConfig(), (s) => {
            s.cluster.workloads = s.cluster.workloads.map((w) =>
                w.name === "prometheus-kube-prometheus-stack-prometheus" ? { ...w, ready: 0 } : w,
            );
        });
        expect(result("workloads/kube-prometheus-stack")).toMatchObject({
            status: "FAIL",
            detail: "release kube-prometheus-stack: StatefulSet prometheus-kube-prometheus-stack-prometheus 0/1 ready",
        });
    });

    it("counts a DaemonSet that no node matches as ready", async () => {
        const { result } = await verifyWith(stackConfig(), (s) => {
            s.cluster.workloads = s.cluster.workloads.map((w) => (w.name === "dcgm-exporter" ? { ...w, desired: 0, ready: 0 } : w));
        });
        expect(result("workloads/dcgm-exporter")).toMatchObject({ status: "PASS", detail: "DaemonSet dcgm-exporter 0/0 ready" });
    });

    it("fails unready workloads of other releases in the namespace too", async () => {
        const { result } = await verifyWith(stackConfig(), (s) => {
            s.cluster.workloads.push({ kind: "Deployment", name: "leftover", labels: {}, desired: 1, ready: 0 });
        });
        expect(result("workloads/others")).toMatchObject({
            status: "FAIL",
            detail: "Deployment leftover 0/1 ready (release (no release label))",
        });
    });

    it("queries a multi-tenant Loki as the configured tenant", async () => {
        const { stack, result } = await verifyWith(
            stackConfig({ loki: { tenant: "gpu-team" } }),
            (s) => (s.behaviour.lokiTenant = "gpu-team"),
        );
        expect(result("logs").status).toBe("PASS");
        expect(stack.logLines[0].tenant).toBe("gpu-team");
    });

    it("stops at the overall deadline: the running check fails and the rest do not start", async () => {
        const started = Date.now();
        const hangingCluster: ClusterAccess = {
            baseUrl: () => new Promise(() => {}),
            listWorkloads: () => new Promise(() => {}),
            readSecret: () => new Promise(() => {}),
            nodesMatching: () => new Promise(() => {}),
            close: async () => {},
        };
        const results = await verifyStack(stackConfig(), hangingCluster, { ...FAST, requestTimeoutMs: 60_000, deadlineMs: 300 });
        expect(results[0]).toEqual({
            status: "FAIL",
            check: "workloads/kube-prometheus-stack",
            detail: "not finished within the overall deadline of 300 ms",
        });
        expect(results[results.length - 1].detail).toBe("not run: the overall deadline of 300 ms had passed");
        expect(failures(results)).toHaveLength(results.length);
        expect(Date.now() - started).toBeLessThan(3_000);
    });
});

describe("verify skips what a stack does not install", () => {
    it("skips every check of a disabled subsystem, saying which key disabled it, and calls none of its APIs", async () => {
        const config = stackConfig({
            dcgmExporter: { enabled: false },
            otelCollector: { enabled: false },
            logs: { enabled: false },
            loki: { enabled: false },
        });
        const { stack, results, result } = await verifyWith(config);
        expect(result("traces")).toEqual({
            status: "SKIP",
            check: "traces",
            detail: "otelCollector is disabled (gpu-observability:otelCollector.enabled is false)",
        });
        expect(result("logs").detail).toBe("loki is disabled (gpu-observability:loki.enabled is false)");
        expect(result("gpu-metrics").detail).toBe("dcgmExporter is disabled (gpu-observability:dcgmExporter.enabled is false)");
        expect(result("grafana-datasource/loki").status).toBe("SKIP");
        expect(result("workloads/promtail").status).toBe("SKIP");
        expect(result("workloads/tempo").status).toBe("PASS");
        expect(result("grafana-datasource/tempo").status).toBe("PASS");
        expect(failures(results)).toEqual([]);
        expect(stack.standins.lokiPush.requests).toEqual([]);
        expect(stack.standins.lokiQuery.requests).toEqual([]);
        expect(stack.standins.otlpHttp.requests).toEqual([]);
        expect(summaryLine(results)).toBe("9 passed, 0 failed, 8 skipped");
    });

    it("skips Grafana and every datasource check when Grafana is disabled", async () => {
        const { results } = await verifyWith(stackConfig({ grafana: { enabled: false } }));
        const grafanaResults = results.filter((r) => r.check.startsWith("grafana"));
        expect(grafanaResults.map((r) => r.status)).toEqual(["SKIP", "SKIP", "SKIP", "SKIP", "SKIP"]);
        expect(failures(results)).toEqual([]);
    });

    it("skips the Prometheus and Alertmanager datasources when Prometheus is disabled", async () => {
        const { result } = await verifyWith(stackConfig({ prometheus: { enabled: false } }));
        expect(result("grafana-datasource/prometheus").status).toBe("SKIP");
        expect(result("grafana-datasource/alertmanager").detail).toBe(
            "prometheus is disabled (gpu-observability:prometheus.enabled is false)",
        );
        expect(result("prometheus-targets").status).toBe("SKIP");
    });
});

describe("the verify command", () => {
    const run = async (argv: string[], cluster?: ClusterAccess) => {
        const out: string[] = [];
        const err: string[] = [];
        const code = await main(argv, {
            connect: async () => {
                if (!cluster) throw new Error("no cluster in this test");
                return cluster;
            },
            print: (line) => out.push(line),
            printError: (line) => err.push(line),
        });
        return { code, out, err: err.join("\n") };
    };
    const writeStackFile = (yaml: string) => {
        const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "verify-")), "Pulumi.test.yaml");
        fs.writeFileSync(file, yaml);
        return file;
    };

    it("exits 1 and says so in the summary when a check fails", async () => {
        stack = await startStandinStack(loadStackConfig(path.join(PROJECT_DIR, "Pulumi.dev.yaml"), "dev"));
        stack.behaviour.lokiPushStatus = 500;
        const { code, out } = await run(["--stack", "dev", ...FAST_FLAGS], stack.cluster);
        expect(code).toBe(1);
        expect(out).toContainEqual(expect.stringMatching(/^FAIL logs: .*500/));
        expect(out[out.length - 1]).toMatch(/^\d+ passed, 1 failed, 0 skipped$/);
        expect(stack.cluster.closed).toBe(true);
    });

    it("reads another stack file with --config-file", async () => {
        const file = writeStackFile(
            "config:\n  gpu-observability:namespace: telemetry\n  gpu-observability:dcgmExporter:\n    enabled: false\n",
        );
        const config = loadStackConfig(file, "test");
        stack = await startStandinStack(config);
        const { code, out } = await run(["--config-file", file, ...FAST_FLAGS], stack.cluster);
        expect(code).toBe(0);
        expect(out[0]).toContain("in namespace telemetry");
        expect(out).toContain("SKIP gpu-metrics: dcgmExporter is disabled (gpu-observability:dcgmExporter.enabled is false)");
    });

    it("exits 2 with the usage on an unknown argument", async () => {
        const { code, err } = await run(["--stak", "dev"]);
        expect(code).toBe(2);
        expect(err).toContain("unknown argument --stak");
        expect(err).toContain("usage: npm run verify");
    });

    it("exits 2 on a bound that is not a duration", async () => {
        const { code, err } = await run(["--request-timeout", "ten seconds"]);
        expect(code).toBe(2);
        expect(err).toContain("--request-timeout ten seconds is not a positive duration");
    });

    it("exits 2 naming the missing file when the stack has no config file", async () => {
        const { code, err } = await run(["--stack", "no-such-stack"]);
        expect(code).toBe(2);
        expect(err).toContain(`no stack config file ${path.join(PROJECT_DIR, "Pulumi.no-such-stack.yaml")}`);
    });

    it("exits 2 with every config problem by its full key when the config is invalid", async () => {
        const file = writeStackFile(
            "config:\n  gpu-observability:namespace: Observability\n  gpu-observability:loki:\n    retention: 7 days\n",
        );
        const { code, err } = await run(["--config-file", file]);
        expect(code).toBe(2);
        expect(err).toContain("(2 problems)");
        expect(err).toContain('gpu-observability:namespace: "Observability" is not a valid name');
        expect(err).toContain('gpu-observability:loki.retention: "7 days" is not a positive duration');
    });

    it("exits 2 when the cluster cannot be reached at all", async () => {
        const { code, err } = await run(["--stack", "dev"]);
        expect(code).toBe(2);
        expect(err).toBe("cannot use the cluster: no cluster in this test");
    });
});

describe("what verify derives from the components", () => {
    it("looks for each release, and Grafana's admin login, under the names and keys the program installs them with", async () => {
        const run = await runIndex(devStackConfig());
        expect(releaseNames(run)).toEqual(Object.values(DEFAULT_RELEASE_NAMES).sort());
        // Every release the charts were rendered for: the defaults, and Alloy, the other log shipper.
        expect([...Object.values(DEFAULT_RELEASE_NAMES), "alloy"].sort()).toEqual(Object.keys(RENDERED_SERVICES).sort());
        // The chart logs Grafana's admin in from the same Secret and keys verify reads.
        expect(valuesOf(run, "grafana").admin).toEqual({
            existingSecret: GRAFANA_ADMIN_SECRET.name,
            userKey: GRAFANA_ADMIN_SECRET.userKey,
            passwordKey: GRAFANA_ADMIN_SECRET.passwordKey,
        });
        const secret = run.resources.find(
            (r) => r.type === "kubernetes:core/v1:Secret" && r.inputs.metadata?.name === GRAFANA_ADMIN_SECRET.name,
        );
        // The password makes the whole of stringData a Pulumi secret, in its envelope. Besides the
        // login it holds Grafana's secret-key (GF_SECURITY_SECRET_KEY), which verify has no use for.
        const stringData = isSecretEnvelope(secret?.inputs.stringData) ? secret?.inputs.stringData.value : secret?.inputs.stringData;
        expect(Object.keys(stringData ?? {})).toEqual(
            expect.arrayContaining([GRAFANA_ADMIN_SECRET.userKey, GRAFANA_ADMIN_SECRET.passwordKey]),
        );
    });

    // The release of each API's Service.
    const RELEASE_OF: Record<StackApi, keyof typeof DEFAULT_RELEASE_NAMES> = {
        otlpHttp: "otelCollector",
        tempoQuery: "tempo",
        lokiPush: "loki",
        lokiQuery: "loki",
        prometheus: "prometheus",
        grafana: "grafana",
    };

    it.each([
        ["dev (Loki monolithic, Tempo monolithic)", "dev"],
        ["production (Loki simple-scalable, Tempo distributed)", "production"],
    ])("calls each API at a Service and port its release's chart renders: %s", (_profile, stackName) => {
        const services = stackServices(loadStackConfig(path.join(PROJECT_DIR, `Pulumi.${stackName}.yaml`), stackName));
        for (const [api, { service, port }] of Object.entries(services)) {
            expect([api, RENDERED_SERVICES[DEFAULT_RELEASE_NAMES[RELEASE_OF[api as StackApi]]][service]]).toEqual([
                api,
                expect.arrayContaining([port]),
            ]);
        }
    });

    it.each([
        ["dev", { lokiPush: "loki", lokiQuery: "loki", tempoQuery: "tempo" }],
        ["production", { lokiPush: "loki-write", lokiQuery: "loki-read", tempoQuery: "tempo-query-frontend" }],
    ])("pushes, queries and looks traces up where the %s stack's shipper and Grafana do", async (stackName, expected) => {
        const services = stackServices(loadStackConfig(path.join(PROJECT_DIR, `Pulumi.${stackName}.yaml`), stackName));
        expect({
            lokiPush: services.lokiPush.service,
            lokiQuery: services.lokiQuery.service,
            tempoQuery: services.tempoQuery.service,
        }).toEqual(expected);
        // The program's own addresses of the same APIs: the shipper pushes to lokiPushUrl, Grafana's
        // datasources query lokiQueryUrl and tempoQueryUrl.
        const { outputs } = await runIndex(exampleStackConfig(stackName), stackName);
        const program: Record<string, unknown> = {
            otlpHttp: outputs.otlpHttpEndpoint,
            lokiPush: outputs.lokiPushUrl,
            lokiQuery: outputs.lokiQueryUrl,
            tempoQuery: outputs.tempoQueryUrl,
            prometheus: outputs.prometheusUrl,
        };
        for (const [api, address] of Object.entries(program)) {
            const { service, port } = parseServiceAddress(address as string);
            expect([api, { service, port }]).toEqual([api, services[api as StackApi]]);
        }
    });
});

describe("the real cluster access's readings of Kubernetes objects", () => {
    const pod = (phase: string, ready: string, deleting = false) => ({
        metadata: { name: "p", ...(deleting ? { deletionTimestamp: new Date() } : {}) },
        spec: { containers: [{ name: "c", ports: [{ name: "http-metrics", containerPort: 3100 }] }] },
        status: { phase, conditions: [{ type: "Ready", status: ready }] },
    });

    it("forwards only to a running, ready pod that is not being deleted", () => {
        expect(isPodReady(pod("Running", "True"))).toBe(true);
        expect(isPodReady(pod("Running", "False"))).toBe(false);
        expect(isPodReady(pod("Pending", "True"))).toBe(false);
        expect(isPodReady(pod("Running", "True", true))).toBe(false);
    });

    it("resolves a Service port to its targetPort, by number or by the container port's name", () => {
        const ports = [{ port: 3100, targetPort: "http-metrics" }, { port: 80, targetPort: 3000 }, { port: 9095 }];
        const service = { metadata: { name: "loki" }, spec: { ports } };
        expect(targetPortOf(service, 80)).toBe(3000);
        expect(targetPortOf(service, 9095)).toBe(9095);
        expect(targetPortOf(service, 3100)).toBe("http-metrics");
        expect(containerPortNamed(pod("Running", "True"), "http-metrics")).toBe(3100);
        expect(() => targetPortOf(service, 4318)).toThrow("Service loki has no port 4318 (it has 3100, 80, 9095)");
    });

    it("reads a DaemonSet's desired and ready pods from its status", () => {
        const status = { desiredNumberScheduled: 3, numberReady: 2, currentNumberScheduled: 3, numberMisscheduled: 0 };
        expect(daemonSetWorkload({ metadata: { name: "promtail", labels: { release: "promtail" } }, status })).toEqual({
            kind: "DaemonSet",
            name: "promtail",
            labels: { release: "promtail" },
            desired: 3,
            ready: 2,
        });
    });

    it("reduces the API server's error to its status code and message", () => {
        const apiError = Object.assign(new Error("HTTP-Code: 403\nMessage: ...\nBody: ..."), {
            code: 403,
            body: JSON.stringify({ kind: "Status", message: 'services "loki" is forbidden: User "dev" cannot get resource "services"' }),
        });
        expect(describeKubeError(apiError)).toBe('403 services "loki" is forbidden: User "dev" cannot get resource "services"');
    });
});

describe("the real cluster access, against a stand-in Kubernetes API server", () => {
    // The Kubernetes client is ESM-only, which jest's CommonJS runtime cannot load: the real access
    // runs in a child process under tsx, as `npm run verify` runs it, with a kubeconfig naming the
    // stand-in API server.
    const CHILD = `
        import { KubeClusterAccess } from ${JSON.stringify(path.join(PROJECT_DIR, "scripts/verify/kubeCluster"))};
        (async () => {
            const access = KubeClusterAccess.fromDefaultKubeconfig((line) => console.error(line));
            const url = await access.baseUrl("observability", "loki", 3100);
            const reused = (await access.baseUrl("observability", "loki", 3100)) === url;
            const first = await (await fetch(url + "/ready", { signal: AbortSignal.timeout(5000) })).text();
            const second = await (await fetch(url + "/ready", { signal: AbortSignal.timeout(5000) })).text();
            const noReadyPod = await access.baseUrl("observability", "tempo", 3200).catch((error) => error.message);
            const refusing = await access.baseUrl("observability", "grafana", 80);
            const refused = await fetch(refusing + "/api/health", { signal: AbortSignal.timeout(5000) }).then(
                (answer) => answer.status,
                (error) => error.message,
            );
            const workloads = await access.listWorkloads("observability");
            const secret = await access.readSecret("observability", "grafana-admin");
            const missingSecret = await access.readSecret("observability", "nope").catch((error) => error.message);
            const gpuNodes = await access.nodesMatching({ "nvidia.com/gpu.present": "true" });
            await access.close();
            console.log(JSON.stringify({ url, reused, first, second, noReadyPod, refused, workloads, secret, missingSecret, gpuNodes }));
        })();
    `;
    const pod = (name: string, app: string, ready: boolean) => ({
        metadata: { name, labels: { app } },
        spec: { containers: [{ name: app, ports: [{ name: "http-metrics", containerPort: 3100 }] }] },
        status: { phase: ready ? "Running" : "Pending", conditions: [{ type: "Ready", status: ready ? "True" : "False" }] },
    });

    it("reads workloads, Secrets and nodes, and port-forwards to a ready pod behind a Service, closing all at the end", async () => {
        const lokiPod = await startStandin(() => ({ status: 200, body: "ready\n" }));
        const api = await startStandinApiServer({
            services: [
                { metadata: { name: "loki" }, spec: { selector: { app: "loki" }, ports: [{ port: 3100, targetPort: "http-metrics" }] } },
                { metadata: { name: "tempo" }, spec: { selector: { app: "tempo" }, ports: [{ port: 3200, targetPort: 3200 }] } },
                { metadata: { name: "grafana" }, spec: { selector: { app: "grafana" }, ports: [{ port: 80, targetPort: 3000 }] } },
            ],
            pods: [
                pod("loki-1", "loki", false),
                pod("loki-0", "loki", true),
                pod("tempo-0", "tempo", false),
                pod("grafana-0", "grafana", true),
            ],
            deployments: [
                {
                    metadata: { name: "grafana", labels: { "app.kubernetes.io/instance": "grafana" } },
                    spec: { replicas: 1 },
                    status: { readyReplicas: 1 },
                },
            ],
            statefulSets: [
                { metadata: { name: "loki", labels: { "app.kubernetes.io/instance": "loki" } }, spec: { replicas: 1 }, status: {} },
            ],
            daemonSets: [
                {
                    metadata: { name: "dcgm-exporter", labels: { release: "dcgm-exporter" } },
                    status: { desiredNumberScheduled: 0, numberReady: 0 },
                },
            ],
            secrets: [{ metadata: { name: "grafana-admin" }, data: { "admin-user": Buffer.from("admin").toString("base64") } }],
            nodes: [
                { metadata: { name: "gpu-node-a", labels: { "nvidia.com/gpu.present": "true" } } },
                { metadata: { name: "cpu-node", labels: {} } },
            ],
            podPorts: { "loki-0:3100": Number(new URL(lokiPod.url).port) },
        });
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "verify-kubeconfig-"));
        const kubeconfig = path.join(dir, "config");
        // The client sends nothing over plain HTTP unless told to skip TLS verification.
        fs.writeFileSync(
            kubeconfig,
            [
                "apiVersion: v1",
                "kind: Config",
                `clusters: [{ name: standin, cluster: { server: "${api.url}", insecure-skip-tls-verify: true } }]`,
                "users: [{ name: standin, user: { token: standin-token } }]",
                "contexts: [{ name: standin, context: { cluster: standin, user: standin } }]",
                "current-context: standin",
            ].join("\n"),
        );
        try {
            const child = await runChild(CHILD, { ...process.env, KUBECONFIG: kubeconfig });
            // Nothing listens on Grafana's pod port here: the API server says so on the error stream.
            expect(child.stderr).toBe(
                "port-forward to pod observability/grafana-0:3000: error forwarding port 3000 to pod grafana-0: connection refused\n",
            );
            expect(child.code).toBe(0);
            const seen = JSON.parse(child.stdout);
            expect(seen).toEqual({
                url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
                reused: true,
                first: "ready\n",
                second: "ready\n",
                noReadyPod: "no ready pod behind Service tempo: 1 pod(s) match app=tempo, none ready",
                refused: "fetch failed",
                workloads: [
                    { kind: "Deployment", name: "grafana", labels: { "app.kubernetes.io/instance": "grafana" }, desired: 1, ready: 1 },
                    { kind: "StatefulSet", name: "loki", labels: { "app.kubernetes.io/instance": "loki" }, desired: 1, ready: 0 },
                    { kind: "DaemonSet", name: "dcgm-exporter", labels: { release: "dcgm-exporter" }, desired: 0, ready: 0 },
                ],
                secret: { "admin-user": "admin" },
                missingSecret: '404 secrets "nope" not found',
                gpuNodes: ["gpu-node-a"],
            });
            // Every forward went to the ready pod, on the container port the Service's targetPort names.
            expect(new Set(api.forwards)).toEqual(new Set(["loki-0:3100", "grafana-0:3000"]));
            expect(lokiPod.requests).toEqual(["GET /ready", "GET /ready"]);
        } finally {
            await api.close();
            await lokiPod.close();
        }
    }, 30_000);
});

/** Runs TypeScript source under tsx in a child process; it must finish by itself (nothing left open). */
function runChild(source: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
        const child = execFile(
            process.execPath,
            [path.join(PROJECT_DIR, "node_modules/tsx/dist/cli.mjs"), "-e", source],
            { cwd: PROJECT_DIR, env, timeout: 20_000 },
            (error, stdout, stderr) => {
                if (error && error.killed) reject(new Error(`the child did not finish within 20 s: ${stderr}`));
                else resolve({ code: child.exitCode, stdout, stderr });
            },
        );
    });
}
