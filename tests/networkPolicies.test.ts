// The namespace denies ingress by default and allows exactly the flows the stack needs.
import { networkPolicySpec, StackPods, stackNetworkPolicies } from "../components/networkPolicies";
import { RENDERED_SELECTORS } from "./fixtures/renderedServices";
import { devStackConfig, ProgramRun, runIndex, stackConfig } from "./helpers/run";

const policiesOf = (run: ProgramRun) =>
    run.resources.filter((r) => r.type === "kubernetes:networking.k8s.io/v1:NetworkPolicy").map((r) => r.inputs);
const byName = (run: ProgramRun, name: string): any => policiesOf(run).find((p) => p.metadata.name === name);
/** Does a policy selector match the pods a Service of the chart routes to? */
const selects = (matchLabels: Record<string, string>, podLabels: Record<string, string>) =>
    Object.entries(matchLabels).every(([key, value]) => podLabels[key] === value);
const peersOf = (policy: any, port: number) =>
    policy.spec.ingress.filter((rule: any) => rule.ports?.some((p: any) => p.port === port)).flatMap((rule: any) => rule.from);

describe("NetworkPolicies of the dev stack", () => {
    let run: ProgramRun;
    beforeAll(async () => {
        run = await runIndex(devStackConfig());
    });

    it("deny all ingress to every pod of the namespace by default", () => {
        expect(byName(run, "default-deny-ingress")).toMatchObject({
            metadata: { namespace: "observability" },
            spec: { podSelector: {}, policyTypes: ["Ingress"], ingress: [] },
        });
    });

    it("select the very pods each chart's Service routes to", () => {
        const targets: Record<string, string> = {
            "allow-loki": "loki",
            "allow-tempo": "tempo",
            "allow-otel-collector": "otelCollector",
            "allow-prometheus": "prometheus",
            "allow-alertmanager": "alertmanager",
        };
        for (const [policy, subsystem] of Object.entries(targets)) {
            expect(selects(byName(run, policy).spec.podSelector.matchLabels, RENDERED_SELECTORS[subsystem])).toBe(true);
        }
    });

    it("let only Promtail, Grafana and Loki itself reach Loki's HTTP port", () => {
        const peers = peersOf(byName(run, "allow-loki"), 3100).filter((p: any) => p.podSelector);
        const sources = peers.map((p: any) =>
            Object.keys(RENDERED_SELECTORS).find((s) => selects(p.podSelector.matchLabels, RENDERED_SELECTORS[s])),
        );
        expect(sources.sort()).toEqual(["grafana", "loki", "promtail"]);
    });

    it("let only the collector send spans to Tempo, and only Grafana query it", () => {
        const tempo = byName(run, "allow-tempo");
        for (const port of [4317, 4318]) {
            expect(peersOf(tempo, port)).toEqual([
                { podSelector: { matchLabels: expect.objectContaining({ "app.kubernetes.io/name": "opentelemetry-collector" }) } },
            ]);
        }
        expect(peersOf(tempo, 3200)).toEqual([
            { podSelector: { matchLabels: expect.objectContaining({ "app.kubernetes.io/name": "grafana" }) } },
        ]);
    });

    it("let applications in any namespace send OTLP to the collector, on its OTLP ports only", () => {
        const collector = byName(run, "allow-otel-collector");
        expect(collector.spec.ingress).toEqual([
            {
                from: [{ namespaceSelector: {} }],
                ports: [
                    { protocol: "TCP", port: 4317 },
                    { protocol: "TCP", port: 4318 },
                ],
            },
        ]);
    });

    it("let Prometheus scrape every pod, Grafana query Prometheus and Alertmanager, and Tempo remote-write", () => {
        const scrape = byName(run, "allow-prometheus-scrape");
        expect(scrape.spec.podSelector).toEqual({});
        expect(selects(scrape.spec.ingress[0].from[0].podSelector.matchLabels, RENDERED_SELECTORS.prometheus)).toBe(true);
        const grafanaPeer = (policy: string, port: number) =>
            peersOf(byName(run, policy), port).some((p: any) =>
                selects(p.podSelector?.matchLabels ?? { x: "y" }, RENDERED_SELECTORS.grafana),
            );
        expect(grafanaPeer("allow-prometheus", 9090)).toBe(true);
        const tempoWrites = peersOf(byName(run, "allow-prometheus"), 9090).some((p: any) =>
            selects(p.podSelector.matchLabels, RENDERED_SELECTORS.tempo),
        );
        expect(tempoWrites).toBe(true);
        expect(grafanaPeer("allow-alertmanager", 9093)).toBe(true);
    });

    it("let nothing reach Grafana when it has no Ingress (port-forwards are not network traffic)", () => {
        expect(byName(run, "allow-grafana")).toBeUndefined();
    });
});

describe("Alertmanager's gossip", () => {
    it("is let through between its replicas over TCP and UDP, as memberlist uses both", () => {
        const policy = stackNetworkPolicies({ alertmanager: RENDERED_SELECTORS.alertmanager }).find(
            (p) => p.name === "allow-alertmanager",
        )!;
        const gossip = networkPolicySpec(policy).ingress.find((rule) => rule.ports?.some((p) => p.port === 9094));
        expect(gossip?.ports).toEqual([
            { protocol: "TCP", port: 9094 },
            { protocol: "UDP", port: 9094 },
        ]);
    });
});

describe("Grafana's alerting gossip", () => {
    const gossipOf = (replicatedGrafana: boolean) =>
        stackNetworkPolicies({ grafana: RENDERED_SELECTORS.grafana }, { replicatedGrafana })
            .filter((p) => p.name === "allow-grafana")
            .flatMap((policy) => networkPolicySpec(policy).ingress)
            .find((rule) => rule.ports?.some((p) => p.port === 9094));

    it("is let through between Grafana's replicas over TCP and UDP", () => {
        const gossip = gossipOf(true);
        expect(gossip?.from).toEqual([{ podSelector: { matchLabels: RENDERED_SELECTORS.grafana } }]);
        expect(gossip?.ports).toEqual([
            { protocol: "TCP", port: 9094 },
            { protocol: "UDP", port: 9094 },
        ]);
    });

    it("is not opened for a single Grafana, which has no peer", () => {
        expect(gossipOf(false)).toBeUndefined();
    });
});

describe("NetworkPolicies follow config", () => {
    it("let the ingress controller's namespace, and only it, reach Grafana when Grafana has an Ingress", async () => {
        const run = await runIndex(
            stackConfig({
                grafana: {
                    ingress: { enabled: true, host: "grafana.example.com", tlsSecretName: "grafana-tls", controllerNamespace: "traefik" },
                },
            }),
        );
        expect(byName(run, "allow-grafana").spec.ingress).toEqual([
            {
                from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "traefik" } } }],
                ports: [{ protocol: "TCP", port: 3000 }],
            },
        ]);
    });

    it("open a Service published outside the cluster to any source, on its own ports only", async () => {
        const run = await runIndex(stackConfig({ otelCollector: { serviceType: "LoadBalancer" } }));
        const [rule] = byName(run, "allow-otel-collector").spec.ingress;
        expect(rule.from).toContainEqual({ ipBlock: { cidr: "0.0.0.0/0" } });
        expect(rule.ports.map((p: any) => p.port)).toEqual([4317, 4318]);
    });

    it("drop the flows of a subsystem that is not installed", async () => {
        const run = await runIndex(stackConfig({ loki: { enabled: false }, logs: { enabled: false } }));
        expect(byName(run, "allow-loki")).toBeUndefined();
        expect(byName(run, "default-deny-ingress")).toBeDefined();
    });

    it("can be switched off", async () => {
        const run = await runIndex(stackConfig({ networkPolicies: { enabled: false } }));
        expect(policiesOf(run)).toEqual([]);
    });
});

describe("stackNetworkPolicies", () => {
    it("allows no flow from a peer that is not installed", () => {
        const pods: StackPods = { loki: RENDERED_SELECTORS.loki };
        const names = stackNetworkPolicies(pods).map((p) => p.name);
        expect(names).toEqual(["default-deny-ingress", "allow-loki"]);
        const loki = stackNetworkPolicies(pods).find((p) => p.name === "allow-loki")!;
        expect(networkPolicySpec(loki).ingress).toEqual([
            {
                from: [{ podSelector: { matchLabels: RENDERED_SELECTORS.loki } }],
                ports: [3100, 9095, 7946].map((port) => ({ protocol: "TCP", port })),
            },
        ]);
    });

    it("describes why each flow exists", () => {
        for (const policy of stackNetworkPolicies(RENDERED_SELECTORS as StackPods)) expect(policy.description).toMatch(/\w+ \w+/);
    });
});
