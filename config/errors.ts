import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";

/** One problem in the config: the full key, and what was wrong and what is allowed. */
export interface ConfigProblem {
    key: string;
    message: string;
}

/**
 * Every problem in a config at once, each named by its full key. A RunError, so the Pulumi CLI
 * prints the message alone, without a stack trace, and registers nothing.
 */
export class ConfigError extends pulumi.RunError {
    constructor(
        readonly problems: ConfigProblem[],
        source: string,
        /** A closing line about the config as a whole. */
        note?: string,
    ) {
        super(
            `invalid ${source} (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n` +
                problems.map((p) => `  - ${p.key}: ${p.message}`).join("\n") +
                (note ? `\n${note}` : ""),
        );
        this.name = "ConfigError";
    }
}

/** `["loki", "resources", "requests"]` with prefix `gpu-observability:` -> `gpu-observability:loki.resources.requests`. */
export function keyOf(prefix: string, path: readonly PropertyKey[]): string {
    const key = path.map((part, i) => (typeof part === "number" ? `[${part}]` : `${i === 0 ? "" : "."}${String(part)}`)).join("");
    return `${prefix}${key}`;
}

/**
 * Turns zod's issues into problems that say what was wrong and what is allowed. `originOf` may name
 * where a key's value came from when the config did not set it (a profile's default).
 */
export function problemsOf(
    error: z.ZodError,
    prefix: string,
    schema: z.ZodType,
    originOf: (path: readonly PropertyKey[]) => string | undefined = () => undefined,
): ConfigProblem[] {
    const problem = (path: readonly PropertyKey[], message: string): ConfigProblem => {
        const origin = originOf(path);
        return { key: keyOf(prefix, path), message: origin ? `${message} (${origin})` : message };
    };
    return error.issues.flatMap((issue): ConfigProblem[] => {
        if (issue.code === "unrecognized_keys") {
            const allowed = allowedKeys(schema, issue.path);
            return issue.keys.map((unknownKey) =>
                problem([...issue.path, unknownKey], `is not a known key${allowed.length ? `; allowed here: ${allowed.join(", ")}` : ""}`),
            );
        }
        if (issue.code === "invalid_type" && issue.expected === "object") {
            const allowed = allowedKeys(schema, issue.path);
            return [problem(issue.path, `expected a map of ${allowed.join(", ")}, got ${describe(issue.input)}`)];
        }
        return [problem(issue.path, messageOf(issue))];
    });
}

function messageOf(issue: z.core.$ZodIssue): string {
    switch (issue.code) {
        case "invalid_type":
            return `expected ${issue.expected}, got ${describe(issue.input)}`;
        case "invalid_value":
            return `${JSON.stringify(issue.input)} is not allowed; use one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}`;
        case "invalid_key":
            return issue.issues.map((inner) => inner.message).join("; ");
        case "too_small":
            return `${issue.message}; the minimum is ${String(issue.minimum)}`;
        case "too_big":
            return `${issue.message}; the maximum is ${String(issue.maximum)}`;
        default:
            return issue.message;
    }
}

function describe(value: unknown): string {
    if (value === undefined) return "nothing";
    if (value === null) return "null";
    if (Array.isArray(value)) return "a list";
    if (typeof value === "object") return "an object";
    return `${typeof value} ${JSON.stringify(value)}`;
}

/** The keys an object schema allows at `path`, through defaults, optionals and refinements. */
function allowedKeys(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
    let current: z.ZodType | undefined = schema;
    for (const part of [...path, undefined]) {
        current = unwrap(current);
        if (current instanceof z.ZodArray && typeof part === "number") {
            current = current.element as z.ZodType;
            continue;
        }
        if (!(current instanceof z.ZodObject)) return [];
        if (part === undefined) return Object.keys(current.shape);
        current = current.shape[String(part)] as z.ZodType | undefined;
    }
    return [];
}

function unwrap(schema: z.ZodType | undefined): z.ZodType | undefined {
    let current = schema;
    while (
        current instanceof z.ZodDefault ||
        current instanceof z.ZodPrefault ||
        current instanceof z.ZodOptional ||
        current instanceof z.ZodNullable
    ) {
        current = current.unwrap() as z.ZodType;
    }
    return current;
}
