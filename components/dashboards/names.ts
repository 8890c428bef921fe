// Label names and label values the dashboards select and group by, named once. Metric names come
// from ../metricNames.ts.

/** Labels of Tempo's span metrics and service graphs (tempo modules/generator/processor/dimension_names.go, servicegraphs.go). */
export const SPAN_LABELS = {
    service: "service",
    spanKind: "span_kind",
    statusCode: "status_code",
    client: "client",
    server: "server",
} as const;

/**
 * span_kind values of spans that start a unit of work in a service: a request it serves or a
 * message it consumes. Counting only these counts each request once, not once per internal or
 * outgoing span.
 */
export const ENTRY_SPAN_KINDS = ["SPAN_KIND_SERVER", "SPAN_KIND_CONSUMER"] as const;

/** Labels of kube-state-metrics series (v2.x). */
export const KSM_LABELS = {
    resource: "resource",
    node: "node",
    namespace: "namespace",
    pod: "pod",
    phase: "phase",
    ownerKind: "owner_kind",
    ownerName: "owner_name",
    ownerIsController: "owner_is_controller",
} as const;

/** Pod phases in which a pod holds the resources it requested (scheduled, not finished). */
export const ACTIVE_POD_PHASES = ["Pending", "Running"] as const;
