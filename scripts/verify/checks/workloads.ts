import { StackConfig } from "../../../config/schema";
import { Workload } from "../clusterAccess";
import { Check, CheckContext } from "../context";
import { DEFAULT_RELEASE_NAMES, disabledReason, installedRelease, Subsystem } from "../stackTargets";

// Helm charts label what they render with the release as `app.kubernetes.io/instance`; older
// charts and operator-made objects carry only `release`.
const RELEASE_LABELS = ["app.kubernetes.io/instance", "release"] as const;
const UNLABELLED = "(no release label)";

/** The release a workload belongs to, by its labels. */
export const releaseOf = (workload: Workload): string =>
    RELEASE_LABELS.map((label) => workload.labels[label]).find((value) => value !== undefined) ?? UNLABELLED;

// A DaemonSet that no node matches desires 0 pods and is ready: the DCGM exporter on a cluster
// without GPU nodes, for one.
const isReady = (workload: Workload): boolean => workload.ready >= workload.desired;

const describeWorkload = (workload: Workload): string => `${workload.kind} ${workload.name} ${workload.ready}/${workload.desired} ready`;

/**
 * One check per release: each enabled subsystem's, then any other release found in the namespace
 * (operator-made StatefulSets may carry a release of their own), so no unready workload goes unseen.
 */
export function workloadChecks(config: StackConfig): Check[] {
    const releases = (Object.keys(DEFAULT_RELEASE_NAMES) as Subsystem[]).flatMap((subsystem) => {
        const release = installedRelease(config, subsystem);
        return release ? [{ subsystem, release }] : [];
    });
    const expected = new Set(releases.filter(({ subsystem }) => config[subsystem].enabled).map(({ release }) => release));
    const checks: Check[] = releases.map(({ subsystem, release }) => ({
        name: `workloads/${release}`,
        skip: disabledReason(config, subsystem),
        run: (context) => releaseReady(context, release),
    }));
    checks.push({
        name: "workloads/others",
        run: async (context) => {
            const others = (await context.workloads()).filter((workload) => !expected.has(releaseOf(workload)));
            const unready = others.filter((workload) => !isReady(workload));
            if (unready.length) throw new Error(unready.map((w) => `${describeWorkload(w)} (release ${releaseOf(w)})`).join("; "));
            return others.length
                ? `${others.length} other workload${others.length === 1 ? "" : "s"} ready: ${others.map(describeWorkload).join(", ")}`
                : `no workloads in namespace ${context.namespace} besides the stack's releases`;
        },
    });
    return checks;
}

async function releaseReady(context: CheckContext, release: string): Promise<string> {
    const mine = (await context.workloads()).filter((workload) => releaseOf(workload) === release);
    if (mine.length === 0) {
        throw new Error(
            `no Deployment, StatefulSet or DaemonSet of release ${release} in namespace ${context.namespace} ` +
                `(none labelled ${RELEASE_LABELS.map((label) => `${label}=${release}`).join(" or ")})`,
        );
    }
    const unready = mine.filter((workload) => !isReady(workload));
    if (unready.length) throw new Error(`release ${release}: ${unready.map(describeWorkload).join("; ")}`);
    return mine.map(describeWorkload).join(", ");
}
