// Pure readings of Kubernetes objects for the real cluster access. Only the client's types are
// imported here, so this file loads anywhere (jest cannot load the ESM-only client itself).
import type { V1DaemonSet, V1Deployment, V1Pod, V1Service, V1StatefulSet } from "@kubernetes/client-node";
import { Workload } from "./clusterAccess";

const labelsOf = (object: { metadata?: { labels?: Record<string, string> } }) => object.metadata?.labels ?? {};

// An unset replicas means one, as the API server defaults it.
export const deploymentWorkload = (deployment: V1Deployment): Workload => ({
    kind: "Deployment",
    name: deployment.metadata?.name ?? "",
    labels: labelsOf(deployment),
    desired: deployment.spec?.replicas ?? 1,
    ready: deployment.status?.readyReplicas ?? 0,
});

export const statefulSetWorkload = (statefulSet: V1StatefulSet): Workload => ({
    kind: "StatefulSet",
    name: statefulSet.metadata?.name ?? "",
    labels: labelsOf(statefulSet),
    desired: statefulSet.spec?.replicas ?? 1,
    ready: statefulSet.status?.readyReplicas ?? 0,
});

export const daemonSetWorkload = (daemonSet: V1DaemonSet): Workload => ({
    kind: "DaemonSet",
    name: daemonSet.metadata?.name ?? "",
    labels: labelsOf(daemonSet),
    desired: daemonSet.status?.desiredNumberScheduled ?? 0,
    ready: daemonSet.status?.numberReady ?? 0,
});

/** Running, not being deleted, and its Ready condition true: a pod a Service would send traffic to. */
export function isPodReady(pod: V1Pod): boolean {
    if (pod.metadata?.deletionTimestamp || pod.status?.phase !== "Running") return false;
    return (pod.status.conditions ?? []).some((condition) => condition.type === "Ready" && condition.status === "True");
}

/** The pod port behind a Service port: its targetPort, a number or a container port's name (default: the port itself). */
export function targetPortOf(service: V1Service, port: number): number | string {
    const ports = service.spec?.ports ?? [];
    const servicePort = ports.find((candidate) => candidate.port === port);
    if (!servicePort) {
        throw new Error(`Service ${service.metadata?.name} has no port ${port} (it has ${ports.map((p) => p.port).join(", ") || "none"})`);
    }
    const target = servicePort.targetPort ?? port;
    return typeof target === "number" || !/^\d+$/.test(target) ? target : Number(target);
}

/** The number of a named container port of the pod. */
export function containerPortNamed(pod: V1Pod, name: string): number | undefined {
    return (pod.spec?.containers ?? []).flatMap((container) => container.ports ?? []).find((port) => port.name === name)?.containerPort;
}

/**
 * The client's ApiException carries the status and the API server's Status object as JSON text in
 * a message of several lines; its `message` field alone says what went wrong.
 */
export function describeKubeError(error: unknown): string {
    const apiError = error as { code?: unknown; body?: unknown };
    if (typeof apiError?.code === "number" && typeof apiError.body === "string") {
        try {
            const status = JSON.parse(apiError.body) as { message?: string };
            if (status.message) return `${apiError.code} ${status.message}`;
        } catch {
            // A body that is not a Status: fall through to the status code alone.
        }
        return `the Kubernetes API answered ${apiError.code}`;
    }
    // The WebSocket of a port-forward fails with an ErrorEvent, which is no Error but has a message.
    const message = (error as { message?: unknown })?.message;
    return typeof message === "string" ? message : String(error);
}
