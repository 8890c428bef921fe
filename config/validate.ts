import { ConfigError, problemsOf } from "./errors";
import { profileOf, suppliedByProfile, withProfileDefaults } from "./profiles";
import { StackConfig, stackConfigSchema } from "./schema";

export const PROJECT = "gpu-observability";

/**
 * Validates a whole stack config and fills in its defaults, or throws one ConfigError listing every
 * problem. The profile's defaults lie under the input: any key the input sets wins, and a refused
 * value that came from the profile says so. `keyPrefix` names keys the way the user wrote them:
 * `gpu-observability:` for stack config.
 */
export function validateStackConfig(input: unknown, keyPrefix = "", source = "ObservabilityStack args"): StackConfig {
    const result = stackConfigSchema.safeParse(withProfileDefaults(input ?? {}), { reportInput: true });
    if (result.success) return result.data;
    const profile = profileOf(input);
    const originOf = (path: readonly PropertyKey[]) =>
        profile && suppliedByProfile(profile, input, path) ? `the value is the ${profile} profile's default` : undefined;
    const note =
        profile && profile !== "dev"
            ? `The ${profile} profile lays its defaults under this config (docs/configuration.md, column ${profile}); any key set in the config wins.`
            : undefined;
    throw new ConfigError(problemsOf(result.error, keyPrefix, stackConfigSchema, originOf), source, note);
}
