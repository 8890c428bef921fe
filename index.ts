import { ObservabilityStack } from "./components";
import { readStackConfig } from "./config";

const stack = new ObservabilityStack("gpu-observability", readStackConfig());

export const {
    namespace,
    grafanaUrl,
    grafanaAdminUser,
    grafanaAdminPassword,
    otlpGrpcEndpoint,
    otlpHttpEndpoint,
    lokiPushUrl,
    lokiQueryUrl,
    prometheusUrl,
    alertmanagerUrl,
    tempoQueryUrl,
} = stack.outputs();
