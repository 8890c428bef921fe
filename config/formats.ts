import { z } from "zod";

// The formats Kubernetes, Prometheus and Go accept, as zod types whose error messages say what is
// allowed. Each parser follows the upstream grammar it names, so config is refused here rather
// than by a chart or a crashing pod after `pulumi up`.

/**
 * Kubernetes resource quantity, as apimachinery's `resource.ParseQuantity` reads it
 * (k8s.io/apimachinery/pkg/api/resource/quantity.go):
 *   <signedNumber><suffix>, suffix one of Ki Mi Gi Ti Pi Ei | n u m "" k M G T P E | e<signedNumber>
 * Returns the value in base units (bytes, cores), or undefined when the text is not a quantity.
 */
export function parseQuantity(text: string): number | undefined {
    const match = /^([+-]?(?:\d+\.?\d*|\.\d+))(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?\d+)?$/.exec(text);
    if (!match) return undefined;
    const [, number, suffix = ""] = match;
    const factor = QUANTITY_SUFFIXES[suffix] ?? (/^[eE]/.test(suffix) ? 10 ** Number(suffix.slice(1)) : undefined);
    return factor === undefined ? undefined : Number(number) * factor;
}

const QUANTITY_SUFFIXES: Record<string, number> = {
    "": 1,
    n: 1e-9,
    u: 1e-6,
    m: 1e-3,
    k: 1e3,
    M: 1e6,
    G: 1e9,
    T: 1e12,
    P: 1e15,
    E: 1e18,
    Ki: 2 ** 10,
    Mi: 2 ** 20,
    Gi: 2 ** 30,
    Ti: 2 ** 40,
    Pi: 2 ** 50,
    Ei: 2 ** 60,
};

/**
 * Prometheus duration (prometheus/common model.ParseDuration): units in decreasing order, each at
 * most once, e.g. `90d`, `1h30m`, `15s`. Loki and Prometheus read this form; Tempo and other Go
 * programs read Go durations, which have no `d`, `w` or `y`: see `goDuration`.
 * Returns milliseconds, or undefined when the text is not a duration.
 */
export function parseDuration(text: string): number | undefined {
    const match = /^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$/.exec(text);
    if (!match || text === "") return undefined;
    return match.slice(1).reduce((total, amount, i) => total + Number(amount ?? 0) * DURATION_UNITS_MS[i], 0);
}

const DURATION_UNITS_MS = [365 * 86_400_000, 7 * 86_400_000, 86_400_000, 3_600_000, 60_000, 1000, 1];

/** A Prometheus duration written as a Go duration (`7d` -> `168h`), for Tempo's config. */
export function goDuration(duration: string): string {
    const ms = parseDuration(duration);
    if (ms === undefined) throw new Error(`not a duration: ${duration}`);
    if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
    if (ms % 60_000 === 0) return `${ms / 60_000}m`;
    if (ms % 1000 === 0) return `${ms / 1000}s`;
    return `${ms}ms`;
}

export const quantity = (what: string, example: string) =>
    z.string().refine((text) => (parseQuantity(text) ?? -1) > 0, {
        error: (issue) => `${JSON.stringify(issue.input)} is not a positive Kubernetes quantity; use ${what} such as ${example}`,
    });

export const memoryQuantity = quantity("a byte count with a binary suffix", "512Mi or 10Gi");
export const cpuQuantity = quantity("cores or millicores", "250m or 2");

export const duration = z.string().refine((text) => (parseDuration(text) ?? 0) > 0, {
    error: (issue) =>
        `${JSON.stringify(issue.input)} is not a positive duration; use a number and unit (ms, s, m, h, d, w, y) such as 30s, 12h or 7d`,
});

// RFC 1123 label: what Kubernetes allows for namespace names (validation.IsDNS1123Label).
export const dnsLabel = z
    .string()
    .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, {
        error: (issue) =>
            `${JSON.stringify(issue.input)} is not a valid name; use lower-case letters, digits and '-', starting and ending with a letter or digit`,
    })
    .max(63, { error: "is longer than 63 characters; a Kubernetes name allows at most 63" });

// RFC 1123 subdomain: what Kubernetes allows for most object names (StorageClass, Secret, ...).
export const dnsSubdomain = z
    .string()
    .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/, {
        error: (issue) => `${JSON.stringify(issue.input)} is not a valid object name; use lower-case letters, digits, '-' and '.'`,
    })
    .max(253, { error: "is longer than 253 characters; a Kubernetes object name allows at most 253" });

const labelName = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;

/** Kubernetes label key (validation.IsQualifiedName): an optional DNS-subdomain prefix and a name. */
export const labelKey = z.string().refine(
    (key) => {
        const slash = key.lastIndexOf("/");
        const [prefix, name] = slash < 0 ? [undefined, key] : [key.slice(0, slash), key.slice(slash + 1)];
        return labelName.test(name) && (prefix === undefined || dnsSubdomain.safeParse(prefix).success);
    },
    {
        error: (issue) =>
            `${JSON.stringify(issue.input)} is not a valid label key; use [prefix/]name, name at most 63 letters, digits, '-', '_' or '.'`,
    },
);

/** Kubernetes label value (validation.IsValidLabelValue): empty, or a label name. */
export const labelValue = z.string().refine((value) => value === "" || labelName.test(value), {
    error: (issue) =>
        `${JSON.stringify(issue.input)} is not a valid label value; use at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit`,
});

/** A DNS host name for an Ingress rule (RFC 1123 subdomain, at least two labels). */
export const hostname = z.string().regex(/^([a-z0-9]([-a-z0-9]*[a-z0-9])?\.)+[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, {
    error: (issue) => `${JSON.stringify(issue.input)} is not a host name; use a lower-case DNS name such as grafana.example.com`,
});

/** How a Service is exposed; ClusterIP keeps it inside the cluster. */
export const serviceType = z
    .enum(["ClusterIP", "NodePort", "LoadBalancer"])
    .default("ClusterIP")
    .describe("Type of the Service; anything but ClusterIP exposes it outside the cluster.");

/** An https:// URL (credentials and tokens never cross the network in clear). */
export const httpsUrl = z.string().refine(
    (text) => {
        try {
            return new URL(text).protocol === "https:";
        } catch {
            return false;
        }
    },
    { error: (issue) => `${JSON.stringify(issue.input)} is not an https:// URL` },
);
