import { PodLabels } from "./subsystem";

// Replicas only protect anything when they land on different nodes and zones. Preferred, not
// required: a small or single-zone cluster still schedules every replica.
const ZONE = "topology.kubernetes.io/zone";
const HOST = "kubernetes.io/hostname";

/** Topology spread of a workload's replicas over zones, then nodes. */
export function topologySpread(pods: PodLabels) {
    return [ZONE, HOST].map((topologyKey) => ({
        maxSkew: 1,
        topologyKey,
        whenUnsatisfiable: "ScheduleAnyway",
        labelSelector: { matchLabels: pods },
    }));
}

/** Anti-affinity that keeps a workload's replicas off each other's node where the cluster allows. */
export function spreadAffinity(pods: PodLabels) {
    return {
        podAntiAffinity: {
            preferredDuringSchedulingIgnoredDuringExecution: [
                { weight: 100, podAffinityTerm: { topologyKey: HOST, labelSelector: { matchLabels: pods } } },
            ],
        },
    };
}

/** A PodDisruptionBudget that lets a drain take one replica at a time; none for a single replica, which it would block. */
export const disruptionBudget = (replicas: number) => (replicas > 1 ? { maxUnavailable: 1 } : undefined);
