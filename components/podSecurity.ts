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

/** A subsystem whose pods need more than the restricted profile, and why. */
export interface PodSecurityException {
    subsystem: "prometheus" | "dcgmExporter" | "logs";
    workload: string;
    needs: string;
    why: string;
}

export const POD_SECURITY_EXCEPTIONS: readonly PodSecurityException[] = [
    {
        subsystem: "prometheus",
        workload: "node-exporter",
        needs: "host network, host PID, read-only hostPath mounts of /proc, /sys and /",
        why: "it reports the node's own CPU, memory, disk and network, not its container's",
    },
    {
        subsystem: "logs",
        workload: "promtail",
        needs: "root (no capabilities) and hostPath mounts of /var/log/pods and /var/lib/<release>",
        why: "pod log files on the host are root-owned; read positions must outlive the pod",
    },
    {
        subsystem: "logs",
        workload: "alloy",
        needs: "root (no capabilities) and hostPath mounts of /var/log/pods and /var/lib/<release>",
        why: "pod log files on the host are root-owned; read positions must outlive the pod",
    },
    {
        subsystem: "dcgmExporter",
        workload: "dcgm-exporter",
        needs: "root with CAP_SYS_ADMIN and the kubelet pod-resources hostPath",
        why: "the embedded DCGM host engine refuses to run as non-root, profiling counters need SYS_ADMIN, and GPUs are mapped to pods through the kubelet",
    },
];

/**
 * The Pod Security Admission level the namespace enforces: `privileged` exactly when an installed
 * subsystem has an exception above (each one is beyond `baseline`: host namespaces, hostPath,
 * SYS_ADMIN), `restricted` otherwise.
 */
export function podSecurityLevel(enabled: Record<PodSecurityException["subsystem"], boolean>): "privileged" | "restricted" {
    return POD_SECURITY_EXCEPTIONS.some((exception) => enabled[exception.subsystem]) ? "privileged" : "restricted";
}
