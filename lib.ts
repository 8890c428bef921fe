// What `import { ... } from "gpu-observability"` gives a program of a user's own: every component,
// its args type and the config schema. index.ts, the Pulumi program of this repository, reads stack
// config and creates resources when loaded, so it is never the package root.

export * from "./components";
export * from "./config";
