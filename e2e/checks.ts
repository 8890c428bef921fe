// What the e2e run asks of the live cluster after each `pulumi up` and `destroy`. Each check returns
// the problems it found (empty: it holds), so a step can report all of them at once.
import * as k8s from "@kubernetes/client-node";
import { ClusterState, kubeConfig, sleep } from "./cluster";

export interface Clients {
    core: k8s.CoreV1Api;
    custom: k8s.CustomObjectsApi;
    objects: k8s.KubernetesObjectApi;
    apps: k8s.AppsV1Api;
}

export function clients(cluster: ClusterState): Clients {
    const config = kubeConfig(cluster);
    return {
        core: config.makeApiClient(k8s.CoreV1Api),
        custom: config.makeApiClient(k8s.CustomObjectsApi),
        objects: k8s.KubernetesObjectApi.makeApiClient(config),
        apps: config.makeApiClient(k8s.AppsV1Api),
    };
}

const podReady = (pod: k8s.V1Pod) =>
    pod.status?.phase === "Running" && !!pod.status.conditions?.some((c) => c.type === "Ready" && c.status === "True");

/** Every pod of the namespaces scheduled, Running and Ready; waits up to `timeoutMs` for stragglers. */
export async function podsReady(c: Clients, namespaces: string[], timeoutMs = 120_000): Promise<{ problems: string[]; pods: k8s.V1Pod[] }> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        const pods = (await Promise.all(namespaces.map((namespace) => c.core.listNamespacedPod({ namespace })))).flatMap(
            (list) => list.items,
        );
        const live = pods.filter((pod) => !pod.metadata?.deletionTimestamp && pod.status?.phase !== "Succeeded");
        const problems = live
            .filter((pod) => !podReady(pod))
            .map(
                (pod) =>
                    `pod ${pod.metadata?.namespace}/${pod.metadata?.name} is ${pod.spec?.nodeName ? pod.status?.phase : "not scheduled"} and not Ready`,
            );
        if (problems.length === 0 || Date.now() > deadline) return { problems, pods: live };
        await sleep(1000);
    }
}

/**
 * No pod creation refused (Pod Security, quota) and no pod left unschedulable, since `since`. A
 * scheduling attempt that lost an optimistic-concurrency race (the PV controller annotating the same
 * claim while the scheduler binds it) is retried by the scheduler at once: counted, not a failure.
 */
export async function noFailureEvents(c: Clients, namespaces: string[], since: Date): Promise<{ problems: string[]; retried: number }> {
    const problems: string[] = [];
    let retried = 0;
    for (const namespace of namespaces) {
        const events = await c.core.listNamespacedEvent({ namespace });
        for (const event of events.items) {
            const at = new Date(event.lastTimestamp ?? event.eventTime ?? event.metadata?.creationTimestamp ?? 0);
            if (at < since || !["FailedCreate", "FailedScheduling"].includes(event.reason ?? "")) continue;
            if (
                event.reason === "FailedScheduling" &&
                event.message?.includes("the object has been modified; please apply your changes to the latest version")
            ) {
                retried++;
                continue;
            }
            problems.push(`${event.reason} ${event.involvedObject.kind}/${event.involvedObject.name}: ${event.message}`);
        }
    }
    return { problems, retried };
}

export async function pvcsBound(c: Clients, namespaces: string[]): Promise<{ problems: string[]; count: number }> {
    const claims = (await Promise.all(namespaces.map((namespace) => c.core.listNamespacedPersistentVolumeClaim({ namespace })))).flatMap(
        (l) => l.items,
    );
    return {
        problems: claims
            .filter((claim) => claim.status?.phase !== "Bound")
            .map((claim) => `PVC ${claim.metadata?.name} is ${claim.status?.phase}`),
        count: claims.length,
    };
}

/** The nodes a set of pods (selected by label) runs on must be exactly `expected`. */
export function placedOn(pods: k8s.V1Pod[], what: string, select: (pod: k8s.V1Pod) => boolean, expected: string[]): string[] {
    const nodes = pods
        .filter(select)
        .map((pod) => pod.spec?.nodeName ?? "(unscheduled)")
        .sort();
    const want = [...expected].sort();
    return JSON.stringify(nodes) === JSON.stringify(want)
        ? []
        : [`${what} runs on [${nodes.join(", ")}], expected one pod on each of [${want.join(", ")}]`];
}

/** A Kubernetes object Pulumi applied directly, as the stack's state records it. */
export interface AppliedObject {
    apiVersion: string;
    kind: string;
    name: string;
    namespace?: string;
}

/** Every object the stack applied directly is in the cluster, as the API server stored it. */
export async function objectsPresent(c: Clients, objects: AppliedObject[]): Promise<string[]> {
    const problems: string[] = [];
    for (const object of objects) {
        try {
            await c.objects.read({
                apiVersion: object.apiVersion,
                kind: object.kind,
                metadata: { name: object.name, namespace: object.namespace },
            });
        } catch (error) {
            problems.push(
                `${object.kind} ${object.namespace ?? ""}/${object.name} is not in the cluster: ${(error as Error).message.split("\n")[0]}`,
            );
        }
    }
    return problems;
}

/** The cluster-scoped objects of the kinds a stack may create, by kind: to compare before and after. */
export async function clusterScoped(c: Clients): Promise<Map<string, string>> {
    const kinds: [string, string][] = [
        ["v1", "Namespace"],
        ["v1", "PersistentVolume"],
        ["rbac.authorization.k8s.io/v1", "ClusterRole"],
        ["rbac.authorization.k8s.io/v1", "ClusterRoleBinding"],
        ["apiextensions.k8s.io/v1", "CustomResourceDefinition"],
        ["admissionregistration.k8s.io/v1", "ValidatingWebhookConfiguration"],
        ["admissionregistration.k8s.io/v1", "MutatingWebhookConfiguration"],
        ["scheduling.k8s.io/v1", "PriorityClass"],
        ["storage.k8s.io/v1", "StorageClass"],
    ];
    const found = new Map<string, string>();
    for (const [apiVersion, kind] of kinds) {
        const list = await c.objects.list(apiVersion, kind);
        for (const item of list.items)
            found.set(`${kind}/${item.metadata?.name}`, item.metadata?.labels?.["app.kubernetes.io/instance"] ?? "");
    }
    return found;
}

const RELEASE_KINDS: [string, string, boolean][] = [
    ["apps/v1", "DaemonSet", true],
    ["apps/v1", "Deployment", true],
    ["apps/v1", "StatefulSet", true],
    ["v1", "Service", true],
    ["v1", "ConfigMap", true],
    ["v1", "Secret", true],
    ["v1", "ServiceAccount", true],
    ["rbac.authorization.k8s.io/v1", "Role", true],
    ["rbac.authorization.k8s.io/v1", "RoleBinding", true],
    ["monitoring.coreos.com/v1", "ServiceMonitor", true],
    ["rbac.authorization.k8s.io/v1", "ClusterRole", false],
    ["rbac.authorization.k8s.io/v1", "ClusterRoleBinding", false],
];

/** Anything a removed release left behind: its labelled objects and Helm's record of it. */
export async function releaseLeftovers(c: Clients, namespace: string, release: string): Promise<string[]> {
    const left: string[] = [];
    for (const [apiVersion, kind, namespaced] of RELEASE_KINDS) {
        const list = await c.objects.list(
            apiVersion,
            kind,
            namespaced ? namespace : undefined,
            undefined,
            undefined,
            undefined,
            undefined,
            `app.kubernetes.io/instance=${release}`,
        );
        left.push(...list.items.map((item) => `${kind}/${item.metadata?.name} of removed release ${release} is left`));
    }
    const records = await c.core.listNamespacedSecret({ namespace, labelSelector: `owner=helm,name=${release}` });
    left.push(...records.items.map((item) => `Helm's record ${item.metadata?.name} of removed release ${release} is left`));
    return left;
}
