import * as fs from "fs";
import * as path from "path";
import { configReference, configReferenceMarkdown } from "../config/reference";

describe("the configuration reference", () => {
    it("is current with the schema (run `npm run docs` after changing config/)", () => {
        const committed = fs.readFileSync(path.resolve(__dirname, "../docs/configuration.md"), "utf8");
        expect(committed).toBe(configReferenceMarkdown());
    });

    it("describes every key, with its default", () => {
        const reference = configReference();
        expect(reference.filter((d) => !d.description).map((d) => d.key)).toEqual([]);
        expect(reference.find((d) => d.key === "gpu-observability:loki.retention")).toMatchObject({ type: "string", default: '"7d"' });
        expect(reference.find((d) => d.key === "gpu-observability:logs.shipper")?.type).toBe('"promtail" \\| "alloy"');
        expect(reference.find((d) => d.key === "gpu-observability:dcgmExporter.counters")?.type).toBe(
            '"lean" \\| "default" \\| "full", or list of object',
        );
    });

    it("shows what the production profile sets beside the dev default, and nothing where it sets nothing", () => {
        const reference = configReference();
        expect(reference.find((d) => d.key === "gpu-observability:loki.mode")).toMatchObject({
            default: '"monolithic"',
            production: '"simple-scalable"',
        });
        expect(reference.find((d) => d.key === "gpu-observability:namespace")?.production).toBe("");
    });
});
