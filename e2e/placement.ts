// Pod topology spread and required anti-affinity, re-checked on where the scheduler put the pods:
// pure, so it is tested without a cluster (types only from the ESM-only Kubernetes client).
import type { V1LabelSelector, V1Node, V1Pod } from "@kubernetes/client-node";

export function spreadHolds(pods: V1Pod[], nodes: V1Node[]): string[] {
    const problems: string[] = [];
    const nodeLabels = new Map(nodes.map((node) => [node.metadata!.name!, node.metadata?.labels ?? {}]));
    const matches = (pod: V1Pod, selector?: V1LabelSelector) =>
        !!selector && Object.entries(selector.matchLabels ?? {}).every(([key, value]) => pod.metadata?.labels?.[key] === value);
    const checked = new Set<string>();
    for (const pod of pods) {
        for (const constraint of pod.spec?.topologySpreadConstraints ?? []) {
            const key = `${JSON.stringify(constraint.labelSelector)}|${constraint.topologyKey}`;
            if (checked.has(key) || constraint.whenUnsatisfiable !== "DoNotSchedule") continue;
            checked.add(key);
            const counts = new Map<string, number>();
            for (const node of nodes) {
                const domain = node.metadata?.labels?.[constraint.topologyKey];
                if (domain) counts.set(domain, counts.get(domain) ?? 0);
            }
            for (const peer of pods.filter(
                (p) => p.metadata?.namespace === pod.metadata?.namespace && matches(p, constraint.labelSelector),
            )) {
                const domain = nodeLabels.get(peer.spec?.nodeName ?? "")?.[constraint.topologyKey];
                if (domain) counts.set(domain, (counts.get(domain) ?? 0) + 1);
            }
            const values = [...counts.values()];
            const skew = Math.max(...values) - Math.min(...values);
            if (skew > constraint.maxSkew) {
                problems.push(
                    `${pod.metadata?.name}'s peers spread over ${constraint.topologyKey} with skew ${skew} > ${constraint.maxSkew}: ${JSON.stringify(Object.fromEntries(counts))}`,
                );
            }
        }
        for (const term of pod.spec?.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []) {
            const domain = nodeLabels.get(pod.spec?.nodeName ?? "")?.[term.topologyKey];
            const clash = pods.find(
                (peer) =>
                    peer !== pod &&
                    peer.metadata?.namespace === pod.metadata?.namespace &&
                    matches(peer, term.labelSelector) &&
                    nodeLabels.get(peer.spec?.nodeName ?? "")?.[term.topologyKey] === domain,
            );
            if (domain && clash)
                problems.push(
                    `${pod.metadata?.name} and ${clash.metadata?.name} share ${term.topologyKey}=${domain} against a required anti-affinity`,
                );
        }
    }
    return problems;
}
