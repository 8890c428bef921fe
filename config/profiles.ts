import deepmerge from "deepmerge";
import { z } from "zod";
import type { StackConfigInput } from "./schema";

export const PROFILES = ["dev", "production"] as const;
export type Profile = (typeof PROFILES)[number];

export const profileSchema = z
    .enum(PROFILES)
    .default("dev")
    .describe(
        "dev: one replica each on local volumes, small requests (fits beside the application on one 4-CPU, 16 GiB node). production: Loki simple-scalable and tempo-distributed on object storage, replicated Prometheus, Alertmanager and Grafana. A profile only sets defaults: any key set in the config wins.",
    );

/**
 * What each profile changes from the schema's own defaults, written as config input. The schema's
 * defaults are the dev profile; production sizes and replicates for a GPU fleet.
 */
export const PROFILE_DEFAULTS: Readonly<Record<Profile, StackConfigInput>> = {
    dev: {},
    production: {},
};

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
    typeof value === "object" && value !== null && !Array.isArray(value) && Object.getPrototypeOf(value) === Object.prototype;

/**
 * The config with its profile's defaults laid under it: any key the config sets wins, lists
 * included (a list replaces the profile's whole). Input that is not an object, or names no valid
 * profile, is returned as it is for the schema to report.
 */
export function withProfileDefaults(input: unknown): unknown {
    if (!isPlainObject(input)) return input;
    const profile = profileSchema.safeParse(input.profile);
    if (!profile.success) return input;
    return deepmerge(PROFILE_DEFAULTS[profile.data] as Record<string, unknown>, input, {
        arrayMerge: (_target, source) => source,
        isMergeableObject: isPlainObject,
    });
}
