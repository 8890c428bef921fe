// The SDK publishes each package as a subpath export ("@grafana/grafana-foundation-sdk/dashboard"),
// which TypeScript's `moduleResolution: node` (this project's) cannot see: these declarations
// point the types at the files the exports map names. Node and Jest resolve the subpaths
// themselves. With `moduleResolution: node16` or `bundler` this file can go.

declare module "@grafana/grafana-foundation-sdk/cog" {
    export * from "@grafana/grafana-foundation-sdk/dist/cog";
}
declare module "@grafana/grafana-foundation-sdk/common" {
    export * from "@grafana/grafana-foundation-sdk/dist/common";
}
declare module "@grafana/grafana-foundation-sdk/dashboard" {
    export * from "@grafana/grafana-foundation-sdk/dist/dashboard";
}
declare module "@grafana/grafana-foundation-sdk/prometheus" {
    export * from "@grafana/grafana-foundation-sdk/dist/prometheus";
}
declare module "@grafana/grafana-foundation-sdk/loki" {
    export * from "@grafana/grafana-foundation-sdk/dist/loki";
}
declare module "@grafana/grafana-foundation-sdk/tempo" {
    export * from "@grafana/grafana-foundation-sdk/dist/tempo";
}
declare module "@grafana/grafana-foundation-sdk/timeseries" {
    export * from "@grafana/grafana-foundation-sdk/dist/timeseries";
}
declare module "@grafana/grafana-foundation-sdk/stat" {
    export * from "@grafana/grafana-foundation-sdk/dist/stat";
}
declare module "@grafana/grafana-foundation-sdk/table" {
    export * from "@grafana/grafana-foundation-sdk/dist/table";
}
declare module "@grafana/grafana-foundation-sdk/gauge" {
    export * from "@grafana/grafana-foundation-sdk/dist/gauge";
}
declare module "@grafana/grafana-foundation-sdk/logs" {
    export * from "@grafana/grafana-foundation-sdk/dist/logs";
}
declare module "@grafana/grafana-foundation-sdk/units" {
    export * from "@grafana/grafana-foundation-sdk/dist/units";
}
