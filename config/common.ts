import { z } from "zod";
import { cpuQuantity, memoryQuantity, parseQuantity } from "./formats";

/** CPU and memory for one container, as Kubernetes takes them. */
export interface ResourceSizes {
    requests: { cpu: string; memory: string };
    limits: { cpu: string; memory: string };
}

/**
 * Container resources with a subsystem's own defaults. Every container the stack runs gets
 * explicit requests and limits, so what the stack costs is known before `pulumi up`.
 */
export function resourcesSchema(defaults: ResourceSizes) {
    const pair = (sizes: { cpu: string; memory: string }) =>
        z.strictObject({
            cpu: cpuQuantity.default(sizes.cpu),
            memory: memoryQuantity.default(sizes.memory),
        });
    return z
        .strictObject({
            requests: pair(defaults.requests).prefault({}),
            limits: pair(defaults.limits).prefault({}),
        })
        .superRefine((sizes, ctx) => {
            for (const resource of ["cpu", "memory"] as const) {
                const request = parseQuantity(sizes.requests[resource]);
                const limit = parseQuantity(sizes.limits[resource]);
                if (request !== undefined && limit !== undefined && request > limit) {
                    ctx.addIssue({
                        code: "custom",
                        path: ["requests", resource],
                        message: `${sizes.requests[resource]} is more than the limit ${sizes.limits[resource]}; a request must not exceed its limit`,
                    });
                }
            }
        })
        .prefault({})
        .describe("CPU and memory requests and limits of the subsystem's main container.");
}

/** Helm values deep-merged last over what the project computes: the escape hatch for any chart key. */
export const extraValues = z
    .record(z.string(), z.unknown())
    .default({})
    .describe("Helm values deep-merged last into the release's values (lists are replaced, as Helm does).");

export const enabled = z.boolean().default(true).describe("Install this subsystem.");
