import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { CHARTS } from "../../config/charts";
import { LOKI_TARGETS, LokiConfig, LokiMode, LokiTarget } from "../../config/loki";
import { HelmValues, releaseServiceUrl } from "../helm";
import { AZURE_WORKLOAD_IDENTITY_LABEL, CREDENTIAL_KEYS, gcsKeyFile, MOUNT_API_TOKEN, ObjectStorage, ObjectStore } from "../objectStorage";
import { disruptionBudget, spreadAffinity, topologySpread } from "../placement";
import { RESTRICTED_CONTAINER, restrictedPod } from "../podSecurity";
import { DEFAULT_RELEASE_NAMES } from "../releaseNames";
import { chartPods, componentType, installSubsystem, PodLabels, SubsystemArgs, ValuesInput } from "../subsystem";
import { LOKI_HTTP_PORT, LOKI_PUSH_PATH, lokiReplicas, objectStoreType, workloadIdentity } from "./common";
import { LokiConfigInput, lokiConfig, lokiConfigFile } from "./config";

export { LOKI_GRPC_PORT, LOKI_HTTP_PORT, LOKI_MEMBERLIST_PORT, LOKI_PUSH_PATH, lokiReplicas, lokiReplicationFactor } from "./common";
export { lokiConfig, type LokiConfigInput } from "./config";

export interface LokiArgs extends SubsystemArgs<LokiConfig> {
    /** The object store chunks, index and rules live in; unset: the monolithic pod's own volume. */
    objectStorage?: Pick<ObjectStorage, "store" | "ready">;
}

/** Labels of every Loki pod, whatever its target (the chart's selector labels). */
export const lokiPods = (releaseName: string) => chartPods(CHARTS.loki, releaseName);

/** Labels of one target's pods, as its Service selects them (templates/_service.tpl: the selector labels and the component). */
export const lokiTargetPods = (releaseName: string, target: LokiTarget | "single-binary"): PodLabels => ({
    ...lokiPods(releaseName),
    "app.kubernetes.io/component": target,
});

/**
 * The Service behind each API, `<release><suffix>`: the single binary's own (templates/monolithic/service.yaml),
 * or the target's that serves it (templates/write/service.yaml, read/service.yaml). No gateway: it
 * would only add an nginx hop to size and mirror.
 */
export const LOKI_SERVICE_SUFFIXES: Readonly<Record<LokiMode, { push: string; query: string }>> = {
    monolithic: { push: "", query: "" },
    "simple-scalable": { push: "-write", query: "-read" },
};

/** Names of Loki's containers in each mode: templates/_pod.tpl names it after its target, "single-binary" as "loki". */
export const LOKI_CONTAINERS: Readonly<Record<LokiMode, readonly string[]>> = {
    monolithic: ["loki"],
    "simple-scalable": LOKI_TARGETS,
};

/** How every Loki pod gets the store's credentials: from their Secret, as environment or a key file, never in values. */
function credentialValues(provider: ObjectStore["provider"], secret: string): HelmValues {
    const fromSecret = (key: string) => ({ name: key, valueFrom: { secretKeyRef: { name: secret, key } } });
    switch (provider) {
        case "s3":
        case "minio":
            return { extraEnv: [fromSecret(CREDENTIAL_KEYS.accessKeyId), fromSecret(CREDENTIAL_KEYS.secretAccessKey)] };
        case "azure":
            return { extraEnv: [fromSecret(CREDENTIAL_KEYS.azureAccountKey)] };
        case "gcs": {
            const keyFile = gcsKeyFile(secret);
            return { extraEnv: [keyFile.env], extraVolumes: [keyFile.volume], extraVolumeMounts: [keyFile.volumeMount] };
        }
    }
}

/**
 * `defaults` of every Loki pod, single binary and targets alike (templates/_pod.tpl concatenates
 * them with each target's own): the store's credentials, and Azure workload identity's label.
 */
function podDefaults(store: ObjectStore | undefined): HelmValues {
    return {
        // Loki never calls the Kubernetes API, and workload identity needs no such token (MOUNT_API_TOKEN).
        automountServiceAccountToken: MOUNT_API_TOKEN,
        ...(workloadIdentity(store) && store?.provider === "azure" ? { podLabels: AZURE_WORKLOAD_IDENTITY_LABEL } : {}),
        ...(store?.credentialsSecret ? credentialValues(store.provider, store.credentialsSecret) : {}),
    };
}

/** A simple-scalable target: its pods, their size, spread and disruption budget, and its volume. */
function targetValues(target: LokiTarget, replicas: number, { settings, storageClass, releaseName }: ValuesInput<LokiConfig>): HelmValues {
    const pods = lokiTargetPods(releaseName, target);
    const budget = disruptionBudget(replicas);
    const volume = { size: settings.storageSize, storageClass: storageClass ?? "" };
    return {
        replicas,
        resources: settings.simpleScalable[target].resources,
        // The chart requires one pod per node (Pending on a small cluster); prefer it instead. The
        // empty list clears the chart's required term: Pulumi drops null overrides (pulumi/pulumi-kubernetes#3811).
        affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [], ...spreadAffinity(pods).podAntiAffinity } },
        topologySpreadConstraints: topologySpread(pods),
        podDisruptionBudget: { enabled: budget !== undefined, ...budget },
        // Write: the write-ahead log, replayed after a restart. Backend: compactor and ruler state.
        // Read keeps only caches, on the chart's emptyDir.
        ...(target === "write" ? { persistence: { volumeClaimsEnabled: true, ...volume } } : {}),
        // The backend's own default mounts the token whatever `defaults` say (values.yaml backend.automountServiceAccountToken).
        ...(target === "backend" ? { persistence: { enabled: true, ...volume }, automountServiceAccountToken: MOUNT_API_TOKEN } : {}),
    };
}

/**
 * Helm values of the Loki chart: monolithic (one pod) or simple-scalable (write, read and backend
 * targets), with chunks, index and rules on the pod's volume or, given a store, in its buckets.
 * Loki's config file is the stack's own (config.ts).
 */
export function lokiValues(input: LokiConfigInput, store?: ObjectStore): HelmValues {
    const { settings, storageClass, serviceMonitors, releaseName } = input;
    const scalable = settings.mode === "simple-scalable";
    if (scalable && store === undefined) {
        throw new Error("loki.mode simple-scalable keeps chunks in object storage: pass the Loki component an objectStorage");
    }
    const replicas = lokiReplicas(settings);
    const config = lokiConfig(input, store);
    return {
        fullnameOverride: releaseName,
        deploymentMode: scalable ? "SimpleScalable" : "Monolithic",
        loki: {
            config: lokiConfigFile(config),
            // What the chart still reads beside the file: the storage type decides whether the
            // targets share an object store (templates/_helpers.tpl loki.isUsingObjectStorage,
            // loki.deployment.isScalable; validate.yaml), and validate.yaml refuses a release without
            // a schema.
            storage: { type: objectStoreType(store) },
            schemaConfig: config.schema_config,
            podSecurityContext: restrictedPod(10001),
            containerSecurityContext: RESTRICTED_CONTAINER,
        },
        singleBinary: scalable
            ? { replicas: 0 }
            : {
                  replicas: 1,
                  resources: settings.resources,
                  persistence: { enabled: true, size: settings.storageSize, storageClass: storageClass ?? "" },
              },
        // The chart validates that only one mode's targets have replicas (their defaults are 3).
        write: scalable ? targetValues("write", replicas.write, input) : { replicas: 0 },
        read: scalable ? targetValues("read", replicas.read, input) : { replicas: 0 },
        backend: scalable ? targetValues("backend", replicas.backend, input) : { replicas: 0 },
        ...Object.fromEntries(
            ["ingester", "distributor", "querier", "queryFrontend", "queryScheduler", "indexGateway", "compactor", "ruler"].map(
                (target) => [target, { replicas: 0 }],
            ),
        ),
        defaults: podDefaults(store),
        serviceAccount: {
            automountServiceAccountToken: MOUNT_API_TOKEN,
            // Workload identity: the cloud role the pods act as (every target shares this account).
            ...(workloadIdentity(store) ? { annotations: store!.serviceAccountAnnotations } : {}),
        },
        // A lone pod resolves its own gossip address only if it is published before it is ready (grafana/loki#7907).
        memberlist: { service: { publishNotReadyAddresses: true } },
        // The Services of the single binary, or of the write and read targets, serve push and query
        // themselves; the nginx gateway would only add a hop.
        gateway: { enabled: false },
        lokiCanary: { enabled: false },
        test: { enabled: false },
        minio: { enabled: false },
        // The chunk cache alone asks for 8 GiB; the capped in-process caches above serve instead.
        memcached: { enabled: false },
        chunksCache: { enabled: false },
        resultsCache: { enabled: false },
        sidecar: { rules: { enabled: false } },
        rbac: { namespaced: true },
        monitoring: {
            serviceMonitor: { enabled: serviceMonitors },
            dashboards: { enabled: false },
            rules: { enabled: false },
        },
    };
}

/** Loki, the log store. */
export class Loki extends pulumi.ComponentResource {
    readonly release: k8s.helm.v3.Release;
    /** Labels of all its pods, for NetworkPolicies. */
    readonly pods: PodLabels;
    /** Labels of each target's pods in simple-scalable mode; undefined in monolithic mode, where one pod serves all. */
    readonly targets?: Record<LokiTarget, PodLabels>;
    /** URL log shippers push to. */
    readonly pushUrl: pulumi.Output<string>;
    /** Base URL Grafana's Loki datasource queries. */
    readonly queryUrl: pulumi.Output<string>;

    constructor(name: string, args: LokiArgs, opts?: pulumi.ComponentResourceOptions) {
        super(componentType("Loki"), name, {}, opts);
        const releaseName = args.releaseName ?? DEFAULT_RELEASE_NAMES.loki;
        const { mode } = args.settings;
        this.pods = lokiPods(releaseName);
        if (mode === "simple-scalable") {
            this.targets = Object.fromEntries(LOKI_TARGETS.map((target) => [target, lokiTargetPods(releaseName, target)])) as Record<
                LokiTarget,
                PodLabels
            >;
        }
        const storage = args.objectStorage;
        this.release = installSubsystem(this, name, args, {
            chart: CHARTS.loki,
            releaseName,
            values: (input) =>
                pulumi.all([args.namespace, storage?.store]).apply(([namespace, store]) => lokiValues({ ...input, namespace }, store)),
            dependsOn: storage?.ready,
        });
        const suffixes = LOKI_SERVICE_SUFFIXES[mode];
        this.pushUrl = releaseServiceUrl(this.release, LOKI_HTTP_PORT, { suffix: suffixes.push, path: LOKI_PUSH_PATH });
        this.queryUrl = releaseServiceUrl(this.release, LOKI_HTTP_PORT, { suffix: suffixes.query });
        this.registerOutputs({ pushUrl: this.pushUrl, queryUrl: this.queryUrl });
    }
}
