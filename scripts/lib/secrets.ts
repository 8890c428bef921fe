// Pulumi marks a secret inside resource inputs with this envelope (sdk/nodejs/runtime/rpc.ts).
const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const SECRET_VALUE = "1b47061264138c4ac30d75fd1eb44270";

export const isSecretEnvelope = (v: unknown): boolean =>
    typeof v === "object" && v !== null && (v as Record<string, unknown>)[SECRET_SIG] === SECRET_VALUE;

/** A copy of `value` with every Pulumi secret replaced by "[secret]", for printing and planning. */
export function maskSecrets(value: unknown): unknown {
    if (isSecretEnvelope(value)) return "[secret]";
    if (Array.isArray(value)) return value.map(maskSecrets);
    if (typeof value === "object" && value !== null) {
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, maskSecrets(v)]));
    }
    return value;
}
