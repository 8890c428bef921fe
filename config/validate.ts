import { ConfigError, problemsOf } from "./errors";
import { profileOf, profileSupplying, withProfileDefaults } from "./profiles";
import { StackConfig, stackConfigSchema } from "./schema";

export const PROJECT = "gpu-observability";

/**
 * Validates a whole stack config and fills in its defaults, or throws one ConfigError listing every
 * problem. The profile's defaults lie under the input: any key it sets wins. `keyPrefix` names keys the way the user wrote them: `gpu-observability:` for stack config.
 */
export function validateStackConfig(input: unknown, keyPrefix = "", source = "ObservabilityStack args"): StackConfig {
    const result = stackConfigSchema.safeParse(withProfileDefaults(input ?? {}), { reportInput: true });
    if (!result.success) {
        const problems = problemsOf(result.error, keyPrefix, stackConfigSchema).map((problem) => {
            const path = problem.key
                .slice(keyPrefix.length)
                .split(/\.|\[\d+\]/)
                .filter(Boolean);
            const profile = profileSupplying(input ?? {}, path);
            return profile ? { ...problem, message: `${problem.message} (the value is the ${profile} profile's default)` } : problem;
        });
        const profile = profileOf(input);
        const note =
            profile && profile !== "dev"
                ? `The ${profile} profile lays its defaults under this config (docs/configuration.md, column ${profile}); any key set in the config wins.`
                : undefined;
        throw new ConfigError(problems, source, note);
    }
    return result.data;
}
