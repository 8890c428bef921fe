import { z } from "zod";
import { dnsSubdomain } from "./formats";

export const mirrorConfigSchema = z
    .strictObject({
        imageRegistry: z
            .string()
            .regex(/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:\d+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)*$/, {
                error: (issue) =>
                    `${JSON.stringify(issue.input)} is not a registry; use host[:port][/path] without a scheme, e.g. registry.example.internal/mirror`,
            })
            .optional()
            .describe(
                "Private registry every image is pulled from, each keeping its path: quay.io/prometheus/prometheus becomes <imageRegistry>/prometheus/prometheus.",
            ),
        chartRepository: z
            .string()
            .regex(/^(https?|oci):\/\/[^\s/]+(\/[^\s]*)?$/, {
                error: (issue) =>
                    `${JSON.stringify(issue.input)} is not a chart repository; use an https:// Helm repository URL or an oci:// registry path`,
            })
            .transform((url) => url.replace(/\/+$/, ""))
            .optional()
            .describe("Helm repository (https://...) or OCI registry path (oci://...) every chart is taken from, by its own name."),
        imagePullSecrets: z
            .array(dnsSubdomain)
            .default([])
            .describe("Secrets in the stack's namespace every pod pulls its images with (create them before `pulumi up`)."),
    })
    .prefault({})
    .describe("Air-gapped clusters: take every image and chart from private mirrors.");

export type MirrorConfig = z.infer<typeof mirrorConfigSchema>;
