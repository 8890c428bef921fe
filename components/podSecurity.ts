// The restricted Pod Security Standard, as Helm values. Every chart gets these unless its
// component says, in one line, why its workload cannot run that way.

/** Container securityContext: no privilege escalation, no capabilities, read-only root. */
export const RESTRICTED_CONTAINER = {
    readOnlyRootFilesystem: true,
    allowPrivilegeEscalation: false,
    capabilities: { drop: ["ALL"] },
    seccompProfile: { type: "RuntimeDefault" },
} as const;

/** Pod securityContext: a fixed non-root user whose group owns the pod's volumes. */
export function restrictedPod(uid: number) {
    return {
        runAsNonRoot: true,
        runAsUser: uid,
        runAsGroup: uid,
        fsGroup: uid,
        seccompProfile: { type: "RuntimeDefault" },
    };
}
