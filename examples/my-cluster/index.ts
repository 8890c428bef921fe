// A program of a user's own: the observability stack on the cluster this program chooses, with
// logs kept longer than the package's default of 7 days.
import * as k8s from "@pulumi/kubernetes";
import { ObservabilityStack } from "gpu-observability";

// This program's cluster, named by its kubeconfig context: not whatever context is current.
const cluster = new k8s.Provider("gpu-cluster", { context: "gpu-cluster" });

const observability = new ObservabilityStack(
    "observability",
    {
        // Keys as in docs/configuration.md; every one optional, validated before anything is created.
        loki: { retention: "30d" },
    },
    { provider: cluster },
);

export const { grafanaUrl, otlpGrpcEndpoint, lokiPushUrl } = observability.outputs();
