// The MinIO chart 5.x: a Deployment in standalone mode, a StatefulSet of replicas x pools in
// distributed mode, and the post-install Job that creates buckets, policies and users.
import { ChartInventory, Container, container, fullname, isEmpty, listedContainers, valueOr, Volume, Workload } from "./values";

export const minio: ChartInventory = (values, release) => {
    const name = fullname(values, release);
    const mode = String(valueOr(values, "mode", "distributed"));
    const persistence = valueOr(values, "persistence.enabled", true);
    const size = String(valueOr(values, "persistence.size", "500Gi"));
    const main = [container(values, "minio", "resources"), ...listedContainers(values, "extraContainers", false)];
    const workloads: Workload[] = [];
    if (mode === "standalone") {
        const volumes: Volume[] =
            persistence && !valueOr(values, "persistence.existingClaim", "") ? [{ claim: name, size, perPod: false }] : [];
        workloads.push({ kind: "Deployment", name, placement: { replicas: 1 }, containers: main, volumes });
    } else {
        const drives = Number(valueOr(values, "drivesPerNode", 1));
        const volumes: Volume[] = persistence
            ? Array.from({ length: drives }, (_, i) => ({ claim: drives > 1 ? `export-${i}` : "export", size, perPod: true }))
            : [];
        const replicas = Number(valueOr(values, "replicas", 16)) * Number(valueOr(values, "pools", 1));
        workloads.push({ kind: "StatefulSet", name, placement: { replicas }, containers: main, volumes });
    }
    // templates/post-job.yaml: one container per kind of thing to create; the chart's own default
    // `users` list (a console user) counts unless the values replace it.
    const has = (key: string, chartDefault: unknown[] = []) => !isEmpty(valueOr(values, key, chartDefault));
    const job: Container[] = [
        ...(has("policies") ? [container(values, "minio-make-policy", "makePolicyJob.resources", true)] : []),
        ...(has("buckets") ? [container(values, "minio-make-bucket", "makeBucketJob.resources")] : []),
        ...(has("users", [{ accessKey: "console" }]) ? [container(values, "minio-make-user", "makeUserJob.resources")] : []),
        ...(has("customCommands") ? [container(values, "minio-custom-command", "customCommandJob.resources")] : []),
        ...(has("svcaccts") ? [container(values, "minio-make-svcacct", "makeServiceAccountJob.resources")] : []),
    ];
    if (job.length > 0) workloads.push({ kind: "Job", name: `${name}-post-job`, placement: { replicas: 1 }, containers: job, volumes: [] });
    return workloads;
};
