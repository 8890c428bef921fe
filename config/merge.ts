import deepmerge from "deepmerge";

/** A map written as a literal or read from YAML or JSON: what config and Helm values are made of. */
export const isPlainObject = (value: unknown): value is Record<string, unknown> =>
    typeof value === "object" && value !== null && !Array.isArray(value) && Object.getPrototypeOf(value) === Object.prototype;

/**
 * Deep-merges maps left to right, later ones winning; a list replaces the list before it whole, as
 * Helm does with values files. Stack config over its profile and Helm values over each other both
 * merge this way.
 */
export function mergeReplacingLists<T extends Record<string, unknown>>(...layers: Record<string, unknown>[]): T {
    return deepmerge.all(layers, { arrayMerge: (_target, source) => source, isMergeableObject: isPlainObject }) as T;
}
