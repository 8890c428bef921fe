// NVIDIA's dcgm-exporter chart: one DaemonSet (templates/daemonset.yaml), container `exporter`,
// on the nodes its nodeSelector picks: the stack's config restricts it to GPU nodes.
import { ChartInventory, container, fullname, listedContainers } from "./values";

export const dcgmExporter: ChartInventory = (values, release) => [
    {
        kind: "DaemonSet",
        name: fullname(values, release),
        placement: { daemonSet: "gpu-nodes" },
        containers: [...listedContainers(values, "initContainers", true), container(values, "exporter", "resources")],
        volumes: [],
    },
];
