import * as fs from "fs";
import { stackConfigSchema, StackConfig } from "../../config/schema";
import { PROJECT, validateStackConfig } from "../../config/validate";
import { readStackFile } from "../lib/mockEngine";

// As config/stackConfig.ts reads Pulumi's config: structured values arrive as JSON text, and the
// keys whose schema takes a string keep their text as written.
const STRING_KEYS = new Set(
    Object.entries(stackConfigSchema.shape)
        .filter(([, schema]) => schema.safeParse("a").success)
        .map(([key]) => key),
);

/** A stack file's `gpu-observability:*` config, validated with every default filled in, as `pulumi up` would see it. */
export function loadStackConfig(file: string, stack: string): StackConfig {
    if (!fs.existsSync(file)) throw new Error(`no stack config file ${file}; name the stack with --stack or the file with --config-file`);
    const raw: Record<string, unknown> = {};
    for (const [fullKey, text] of Object.entries(readStackFile(file).config)) {
        if (!fullKey.startsWith(`${PROJECT}:`)) continue;
        const key = fullKey.slice(PROJECT.length + 1);
        raw[key] = STRING_KEYS.has(key) ? text : decode(text);
    }
    return validateStackConfig(raw, `${PROJECT}:`, `config of stack "${stack}" (${file})`);
}

function decode(text: string): unknown {
    try {
        return JSON.parse(text);
    } catch {
        return text;
    }
}
