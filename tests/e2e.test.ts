// The e2e harness's own logic, checked without a cluster: the tools it builds are pinned where the
// issue says, its stand-in behaves as the real random provider does, its placement check catches
// what the scheduler must not do, and a stack's e2e config changes only what the cluster needs.
import * as fs from "fs";
import * as path from "path";
import type { V1Node, V1Pod } from "@kubernetes/client-node";
import { spreadHolds } from "../e2e/placement";
import { e2eConfig } from "../e2e/pulumi";
import { randomPassword, randomStandIn } from "../e2e/randomStandIn";
import { TOOL_MODULES } from "../e2e/tools";
import { PROJECT_DIR } from "../scripts/lib/mockEngine";

const wrapperGoMod = (wrapper: string) => fs.readFileSync(path.join(PROJECT_DIR, "e2e", "tools", wrapper, "go.mod"), "utf8");
const pinned = (goMod: string, module: string) =>
    new RegExp(`^\\s*(require\\s+)?${module.replace(/\./g, "\\.")} (\\S+)`, "m").exec(goMod)?.[2];

describe("the real tools", () => {
    const upstream: Record<string, string> = {
        etcd: "go.etcd.io/etcd/server/v3",
        kubernetes: "k8s.io/kubernetes",
        kwok: "sigs.k8s.io/kwok",
        "prometheus-operator": "github.com/prometheus-operator/prometheus-operator",
        pulumi: "github.com/pulumi/pulumi/pkg/v3",
        "pulumi-kubernetes": "github.com/pulumi/pulumi-kubernetes/provider/v4",
    };

    it.each(TOOL_MODULES.map((tool) => [tool.wrapper, tool]))(
        "%s: the wrapper's go.mod and the build pin the same release",
        (wrapper, tool) => {
            expect(pinned(wrapperGoMod(wrapper), upstream[wrapper])).toBe(tool.version);
            expect(fs.existsSync(path.join(PROJECT_DIR, "e2e", "tools", wrapper, "go.sum"))).toBe(true);
        },
    );

    it("builds the Pulumi CLI at the version of the @pulumi/pulumi the program runs with", () => {
        const sdk = JSON.parse(fs.readFileSync(path.join(PROJECT_DIR, "node_modules/@pulumi/pulumi/package.json"), "utf8")).version;
        expect(TOOL_MODULES.find((t) => t.wrapper === "pulumi")!.version).toBe(`v${sdk}`);
        expect(pinned(wrapperGoMod("pulumi"), "github.com/pulumi/pulumi/sdk/v3")).toBe(`v${sdk}`);
    });

    it("builds a served Kubernetes 1.34 or 1.35, with every staging module at the same release and the version stamped", () => {
        const kubernetes = TOOL_MODULES.find((t) => t.wrapper === "kubernetes")!;
        expect(kubernetes.version).toMatch(/^v1\.3[45]\.\d+$/);
        const staging = kubernetes.version.replace(/^v1\./, "v0.");
        const replaces = [...wrapperGoMod("kubernetes").matchAll(/^\s*(k8s\.io\/\S+) => (\S+) (\S+)$/gm)];
        expect(replaces.length).toBeGreaterThan(25);
        for (const [, from, to, version] of replaces) {
            expect(to).toBe(from);
            expect(version).toBe(staging);
        }
        expect(kubernetes.versionStamp["k8s.io/component-base/version.gitVersion"]).toBe(kubernetes.version);
    });

    it("never builds an AGPL module (Loki, Tempo, Grafana, Promtail, Alloy)", () => {
        for (const tool of TOOL_MODULES) expect(wrapperGoMod(tool.wrapper)).not.toMatch(/github\.com\/grafana\/(loki|tempo|grafana|alloy)/);
    });
});

describe("the random provider stand-in", () => {
    const urn = "urn:pulumi:dev::gpu-observability::gpu-observability:index:Grafana$random:index/randomPassword:RandomPassword::admin";

    it("makes a password of the asked length, alphanumeric unless special characters are asked for", async () => {
        const created = await randomStandIn.create!(urn, { length: 32, special: false });
        expect(created.outs.result).toMatch(/^[A-Za-z0-9]{32}$/);
        expect(randomPassword(200, true)).toMatch(/[^A-Za-z0-9]/);
    });

    it("keeps the password while the inputs stay, and replaces it when one changes", async () => {
        expect(await randomStandIn.diff!("none", urn, { length: 32, special: false }, { length: 32, special: false })).toEqual({
            changes: false,
            replaces: [],
        });
        expect(await randomStandIn.diff!("none", urn, { length: 32, special: false }, { length: 40, special: false })).toEqual({
            changes: true,
            replaces: ["length"],
        });
    });

    it("refuses any other resource, so nothing else of the random provider is faked unnoticed", async () => {
        const check = await randomStandIn.check!(
            urn.replace("randomPassword:RandomPassword", "randomString:RandomString"),
            {},
            { length: 3 },
        );
        expect(check.failures?.[0].reason).toMatch(/serves only random:index\/randomPassword:RandomPassword/);
    });

    it("reports the version the project's @pulumi/random asks for", () => {
        const sdk = JSON.parse(fs.readFileSync(path.join(PROJECT_DIR, "node_modules/@pulumi/random/package.json"), "utf8")).version;
        expect(randomStandIn.version).toBe(sdk);
    });
});

describe("placement re-checked on the scheduler's result", () => {
    const nodes = ["a", "b", "c"].map(
        (zone) =>
            ({
                metadata: {
                    name: `node-${zone}`,
                    labels: { "topology.kubernetes.io/zone": `zone-${zone}`, "kubernetes.io/hostname": `node-${zone}` },
                },
            }) as V1Node,
    );
    const pod = (name: string, node: string): V1Pod => ({
        metadata: { name, namespace: "observability", labels: { app: "loki-write" } },
        spec: {
            nodeName: node,
            containers: [],
            topologySpreadConstraints: [
                {
                    maxSkew: 1,
                    topologyKey: "topology.kubernetes.io/zone",
                    whenUnsatisfiable: "DoNotSchedule",
                    labelSelector: { matchLabels: { app: "loki-write" } },
                },
            ],
            affinity: {
                podAntiAffinity: {
                    requiredDuringSchedulingIgnoredDuringExecution: [
                        { topologyKey: "kubernetes.io/hostname", labelSelector: { matchLabels: { app: "loki-write" } } },
                    ],
                },
            },
        },
    });

    it("holds for one replica per zone", () => {
        expect(spreadHolds([pod("w-0", "node-a"), pod("w-1", "node-b"), pod("w-2", "node-c")], nodes)).toEqual([]);
    });

    it("names a zone skew beyond maxSkew", () => {
        const problems = spreadHolds([pod("w-0", "node-a"), pod("w-1", "node-a"), pod("w-2", "node-b")], nodes);
        expect(problems.some((p) => /skew 2 > 1/.test(p))).toBe(true);
    });

    it("names two replicas on one node against a required anti-affinity", () => {
        const problems = spreadHolds([pod("w-0", "node-a"), pod("w-1", "node-a")], nodes);
        expect(problems.some((p) => /w-0 and w-1 share kubernetes.io\/hostname/.test(p))).toBe(true);
    });
});

describe("a stack's config on the e2e cluster", () => {
    it("keeps every key of the stack file and changes only the StorageClass and the chart repository", () => {
        const config = e2eConfig(path.join(PROJECT_DIR, "Pulumi.dev.yaml"), "http://127.0.0.1:8879", { loki: { retention: "14d" } });
        expect(config["gpu-observability:storageClass"]).toBe("e2e-hostpath");
        expect(config["gpu-observability:mirror"]).toEqual({ chartRepository: "http://127.0.0.1:8879" });
        expect(config["gpu-observability:loki"]).toEqual({ retention: "14d", storageSize: "10Gi" });
        expect(config["gpu-observability:dcgmExporter"]).toEqual({ nodeSelector: { "nvidia.com/gpu.present": "true" } });
    });
});
