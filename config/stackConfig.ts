import * as pulumi from "@pulumi/pulumi";
import { StackConfig, stackConfigSchema } from "./schema";
import { PROJECT, validateStackConfig } from "./validate";

const STRING_KEYS = new Set(
    Object.entries(stackConfigSchema.shape)
        .filter(([, schema]) => schema.safeParse("a").success)
        .map(([key]) => key),
);

/**
 * Reads every `gpu-observability:*` key of the running stack's config and validates it. Pulumi
 * hands structured values over as JSON text; string keys are kept as written.
 */
export function readStackConfig(): StackConfig {
    const raw: Record<string, unknown> = {};
    for (const [fullKey, text] of Object.entries(pulumi.runtime.allConfig())) {
        if (!fullKey.startsWith(`${PROJECT}:`)) continue;
        const key = fullKey.slice(PROJECT.length + 1);
        raw[key] = STRING_KEYS.has(key) ? text : decode(text);
    }
    return validateStackConfig(raw, `${PROJECT}:`, `config of stack "${pulumi.getStack()}"`);
}

function decode(text: string): unknown {
    try {
        return JSON.parse(text);
    } catch {
        return text;
    }
}
