// Everything the checks need from the cluster, behind one small interface: the real one talks to
// the Kubernetes API and opens port-forwards (kubeCluster.ts); tests hand in stand-ins.

export type WorkloadKind = "Deployment" | "StatefulSet" | "DaemonSet";

/** A Deployment, StatefulSet or DaemonSet, reduced to what readiness is judged by. */
export interface Workload {
    kind: WorkloadKind;
    name: string;
    labels: Record<string, string>;
    /** Pods it should run: replicas, or the nodes a DaemonSet is scheduled on. */
    desired: number;
    /** Of those, the pods that are ready. */
    ready: number;
}

export interface ClusterAccess {
    /**
     * A base URL (`http://127.0.0.1:<port>`, no trailing slash) that reaches the given port of a
     * Service, for as long as the access is open.
     */
    baseUrl(namespace: string, service: string, port: number): Promise<string>;
    /** Every Deployment, StatefulSet and DaemonSet in the namespace. */
    listWorkloads(namespace: string): Promise<Workload[]>;
    /** A Secret's data, decoded. */
    readSecret(namespace: string, name: string): Promise<Record<string, string>>;
    /** Names of the nodes carrying every one of the labels. */
    nodesMatching(selector: Record<string, string>): Promise<string[]>;
    /** Closes whatever `baseUrl` opened. */
    close(): Promise<void>;
}
