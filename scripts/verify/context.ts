import { StackConfig } from "../../config/schema";
import { ClusterAccess, Workload } from "./clusterAccess";
import { Endpoint, HttpAnswer, httpRequest, HttpRequestInit } from "./http";
import { formatMs, VerifyOptions } from "./options";
import { Attempt, poll, PollOutcome } from "./poll";
import { GRAFANA_ADMIN_SECRET, ServicePort, StackApi, stackServices } from "./stackTargets";

/** One check: a name, and either why it does not apply to this stack or how to run it. */
export interface Check {
    name: string;
    /** Set when the check does not apply (its subsystem is disabled): the SKIP reason. */
    skip?: string;
    /** Resolves to what was seen; throws an Error whose message says what is wrong. */
    run(context: CheckContext): Promise<string>;
}

export interface GrafanaCredentials {
    user: string;
    password: string;
}

/** What every check works with: the stack's config, the cluster, and bounded requests and polls. */
export class CheckContext {
    readonly namespace: string;
    /** The Services of the APIs the checks call, in the modes the config runs Loki and Tempo in. */
    readonly services: Readonly<Record<StackApi, ServicePort>>;
    private readonly endpoints = new Map<string, Promise<Endpoint>>();
    private workloadList?: Promise<Workload[]>;
    private credentials?: Promise<GrafanaCredentials>;

    constructor(
        readonly config: StackConfig,
        readonly cluster: ClusterAccess,
        readonly options: VerifyOptions,
        /** Aborted when the whole run's deadline passes. */
        readonly deadline: AbortSignal,
    ) {
        this.namespace = config.namespace;
        this.services = stackServices(config);
    }

    /** A Service port of the stack, reached through the cluster access; opened once, on first use. */
    endpoint({ service, port }: ServicePort): Promise<Endpoint> {
        const label = `${service}:${port}`;
        let endpoint = this.endpoints.get(label);
        if (!endpoint) {
            endpoint = this.withinTimeLimit(`reaching Service ${this.namespace}/${label}`, () =>
                this.cluster.baseUrl(this.namespace, service, port),
            ).then((baseUrl) => ({ label, baseUrl }));
            this.endpoints.set(label, endpoint);
        }
        return endpoint;
    }

    request(endpoint: Endpoint, path: string, init: HttpRequestInit = {}): Promise<HttpAnswer> {
        return httpRequest(endpoint, path, init, { timeoutMs: this.options.requestTimeoutMs, deadline: this.deadline });
    }

    poll<T>(look: () => Promise<Attempt<T>>): Promise<PollOutcome<T>> {
        return poll(look, { attempts: this.options.pollAttempts, intervalMs: this.options.pollIntervalMs, deadline: this.deadline });
    }

    /** `20 attempts 3 s apart`: how a poll's bound is named in a failure. */
    describePolling(attempts: number): string {
        return `${attempts} attempt${attempts === 1 ? "" : "s"} ${formatMs(this.options.pollIntervalMs)} apart`;
    }

    /** The namespace's workloads, listed once for every release's check. */
    workloads(): Promise<Workload[]> {
        this.workloadList ??= this.withinTimeLimit(`listing the workloads of namespace ${this.namespace}`, () =>
            this.cluster.listWorkloads(this.namespace),
        );
        return this.workloadList;
    }

    /** Grafana's admin login, from the Secret the Grafana component creates. */
    grafanaCredentials(): Promise<GrafanaCredentials> {
        const { name, userKey, passwordKey } = GRAFANA_ADMIN_SECRET;
        this.credentials ??= this.withinTimeLimit(`reading Secret ${this.namespace}/${name}`, () =>
            this.cluster.readSecret(this.namespace, name),
        ).then((data) => {
            const user = data[userKey];
            const password = data[passwordKey];
            if (!user || !password) {
                const missing = [!user && userKey, !password && passwordKey].filter(Boolean);
                throw new Error(`Secret ${this.namespace}/${name} lacks ${missing.join(" and ")}`);
            }
            return { user, password };
        });
        return this.credentials;
    }

    /**
     * A cluster call under the request time limit and the overall deadline. The Kubernetes client
     * takes no abort signal, so the call is raced rather than cancelled; the access's close() ends
     * whatever it left open.
     */
    withinTimeLimit<T>(what: string, call: () => Promise<T>): Promise<T> {
        const limitMs = this.options.requestTimeoutMs;
        if (this.deadline.aborted) return Promise.reject(new Error(`${what} was not started: the overall deadline had passed`));
        return new Promise<T>((resolve, reject) => {
            const settle = (outcome: () => void) => {
                clearTimeout(timer);
                this.deadline.removeEventListener("abort", onDeadline);
                outcome();
            };
            const onDeadline = () => settle(() => reject(new Error(`${what} was cut short by the overall deadline`)));
            const timer = setTimeout(() => settle(() => reject(new Error(`${what} timed out after ${formatMs(limitMs)}`))), limitMs);
            this.deadline.addEventListener("abort", onDeadline, { once: true });
            // A call that throws before returning its promise fails the same way as one that rejects.
            Promise.resolve()
                .then(call)
                .then(
                    (value) => settle(() => resolve(value)),
                    (error: unknown) =>
                        settle(() => reject(new Error(`${what} failed: ${error instanceof Error ? error.message : String(error)}`))),
                );
        });
    }
}
