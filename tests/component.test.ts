// ObservabilityStack inside a user's own program: the same behaviour as the stack config, on the
// cluster the user's provider points at.
import { lokiConfigSchema } from "../config";
import { helmReleases } from "../scripts/lib/mockEngine";
import { runIndex, runUserProgram, stackConfig } from "./helpers/run";

describe("ObservabilityStack in a user's program", () => {
    it("means the same as a stack whose config sets the same keys", async () => {
        const args = { namespace: "telemetry", loki: { retention: "14d" }, dcgmExporter: { enabled: false } };
        const fromProgram = await runUserProgram(({ ObservabilityStack }) => new ObservabilityStack("gpu-observability", args).outputs());
        const fromStack = await runIndex(stackConfig(args), "test");
        const releases = (run: typeof fromStack) =>
            helmReleases(run).map((r) => ({ ...r.inputs, values: JSON.stringify(r.inputs.values) }));
        expect(releases(fromProgram)).toEqual(releases(fromStack));
        expect(fromProgram.outputs).toEqual(fromStack.outputs);
    });

    it("puts every Kubernetes resource on the user's provider", async () => {
        const run = await runUserProgram(({ ObservabilityStack }, k8s) => {
            const provider = new k8s.Provider("gke", { kubeconfig: "~/.kube/gke" });
            return new ObservabilityStack("obs", { namespace: "telemetry" }, { providers: [provider] }).outputs();
        });
        const kubernetes = run.resources.filter((r) => r.type.startsWith("kubernetes:") && r.custom);
        expect(kubernetes.length).toBeGreaterThan(8);
        for (const resource of kubernetes) expect(resource.provider).toMatch(/pulumi:providers:kubernetes::gke::/);
    });

    it("honours a single provider option too", async () => {
        const run = await runUserProgram(({ ObservabilityStack }, k8s) => {
            const provider = new k8s.Provider("eks", { kubeconfig: "~/.kube/eks" });
            return new ObservabilityStack("obs", {}, { provider }).outputs();
        });
        const releases = helmReleases(run);
        expect(releases).toHaveLength(7);
        for (const release of releases) expect(release.provider).toMatch(/pulumi:providers:kubernetes::eks::/);
    });

    it("refuses bad args before registering anything, naming keys as the program wrote them", async () => {
        const run = await runUserProgram(({ ObservabilityStack }) =>
            new ObservabilityStack("obs", { grafana: { storageSize: "lots" } } as never).outputs(),
        );
        expect(run.error?.message).toMatch(/- grafana.storageSize: "lots" is not a positive Kubernetes quantity/);
        expect(run.resources).toEqual([]);
    });

    it("lets a user install one subsystem on its own", async () => {
        const run = await runUserProgram(({ Loki }) => {
            const loki = new Loki("logs", {
                namespace: "apps",
                settings: {
                    ...lokiConfigSchema.parse({}),
                    retention: "2d",
                    storageSize: "5Gi",
                    resources: { requests: { cpu: "1", memory: "1Gi" }, limits: { cpu: "2", memory: "2Gi" } },
                },
            });
            return { pushUrl: loki.pushUrl };
        });
        expect(run.outputs.pushUrl).toBe("http://loki.apps.svc.cluster.local:3100/loki/api/v1/push");
        expect(helmReleases(run)[0].inputs.values.monitoring.serviceMonitor.enabled).toBe(false);
    });
});
