import { z } from "zod";
import { PROFILE_DEFAULTS } from "./profiles";
import { stackConfigSchema } from "./schema";
import { PROJECT } from "./validate";

/** One documented config key. */
export interface ConfigKeyDoc {
    key: string;
    type: string;
    default: string;
    /** What the production profile sets here, when it differs from the default. */
    production: string;
    description: string;
}

/** The value a profile's defaults hold at a dotted key path, if any. */
function profileValueAt(profile: Record<string, unknown>, path: string[]): unknown {
    return path.reduce<unknown>(
        (node, part) => (typeof node === "object" && node !== null ? (node as Record<string, unknown>)[part] : undefined),
        profile,
    );
}

type Wrapped = z.ZodDefault | z.ZodPrefault | z.ZodOptional;
const isWrapper = (s: z.ZodType): s is Wrapped & z.ZodType =>
    s instanceof z.ZodDefault || s instanceof z.ZodPrefault || s instanceof z.ZodOptional;

function unwrap(schema: z.ZodType): { inner: z.ZodType; description?: string; defaultValue?: unknown } {
    let current = schema;
    let description = schema.description;
    let defaultValue: unknown;
    while (isWrapper(current)) {
        if (current instanceof z.ZodDefault) defaultValue = current._zod.def.defaultValue;
        current = current._zod.def.innerType as z.ZodType;
        description ??= current.description;
    }
    return { inner: current, description: description ?? current.description, defaultValue };
}

function typeOf(schema: z.ZodType): string {
    if (schema instanceof z.ZodEnum) return schema.options.map((o) => JSON.stringify(o)).join(" \\| ");
    if (schema instanceof z.ZodUnion) return (schema.options as z.ZodType[]).map((option) => typeOf(unwrap(option).inner)).join(", or ");
    if (schema instanceof z.ZodArray) return `list of ${typeOf(unwrap(schema.element as z.ZodType).inner)}`;
    if (schema instanceof z.ZodRecord) return "map";
    if (schema instanceof z.ZodObject) return "object";
    if (schema instanceof z.ZodNumber) return schema.format === "safeint" ? "integer" : "number";
    if (schema instanceof z.ZodBoolean) return "boolean";
    return "string";
}

function summarize(value: unknown): string {
    if (value === undefined) return "";
    const text = JSON.stringify(value);
    if (text.length <= 120) return text;
    return Array.isArray(value) ? `${value.length} entries` : "(see the description)";
}

/** Every key of the stack config, depth first, from the schema itself: docs and validation cannot drift. */
export function configReference(schema: z.ZodType = stackConfigSchema, prefix = `${PROJECT}:`): ConfigKeyDoc[] {
    const { inner } = unwrap(schema);
    if (!(inner instanceof z.ZodObject)) return [];
    return Object.entries(inner.shape as Record<string, z.ZodType>).flatMap(([name, field]) => {
        const { inner: fieldType, description, defaultValue } = unwrap(field);
        const key = `${prefix}${name}`;
        // Subsystems and other top-level objects key by key; small leaf objects (resources) whole.
        const topLevel = prefix === `${PROJECT}:`;
        const expand = fieldType instanceof z.ZodObject && (topLevel || Object.keys(fieldType.shape).length > 2);
        // A small object's defaults (e.g. resources) are shown whole; a subsystem's key by key.
        const shown = defaultValue ?? (fieldType instanceof z.ZodObject && !expand ? field.parse(undefined) : undefined);
        const production = profileValueAt(PROFILE_DEFAULTS.production, key.slice(`${PROJECT}:`.length).split("."));
        const row: ConfigKeyDoc = {
            key,
            type: typeOf(fieldType),
            default: summarize(shown),
            // A subsystem's own row would repeat its keys' rows.
            production: expand ? "" : summarize(production),
            description: description ?? "",
        };
        return expand ? [row, ...configReference(fieldType, `${key}.`)] : [row];
    });
}

/** The configuration reference as Markdown. */
export function configReferenceMarkdown(): string {
    const escape = (text: string) => text.replace(/\|/g, "\\|");
    const code = (text: string) => (text ? `\`${escape(text)}\`` : "");
    const rows = configReference().map(
        (d) => `| \`${d.key}\` | ${d.type} | ${code(d.default)} | ${code(d.production)} | ${escape(d.description)} |`,
    );
    return [
        "# Configuration reference",
        "",
        "Generated from the zod schema in `config/` by `npm run docs`; a test fails when this file is stale.",
        "Every key is optional. In a program, `new ObservabilityStack(name, args)` takes the same keys",
        `without the \`${PROJECT}:\` prefix. Durations use Prometheus' form (\`30s\`, \`12h\`, \`7d\`);`,
        "sizes and CPU are Kubernetes quantities (`512Mi`, `10Gi`, `250m`). The default is the `dev`",
        "profile's; the production column shows what `profile: production` sets instead (any key set",
        "in the config still wins).",
        "",
        "| key | type | default | production | description |",
        "|---|---|---|---|---|",
        ...rows,
        "",
    ].join("\n");
}
