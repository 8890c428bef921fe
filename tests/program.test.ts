// `pulumi up` runs index.ts through ts-node, which type-checks only the files the program imports
// (not tsconfig's `include`): ambient declarations must be reachable from the imports.
import { spawnSync } from "child_process";
import * as path from "path";
import { PROJECT_DIR } from "./helpers/run";

describe("the program as the Pulumi CLI loads it", () => {
    it("type-checks under ts-node with the project's tsconfig", () => {
        const tsNode = path.join(PROJECT_DIR, "node_modules/.bin/ts-node");
        // Loading the components compiles every file index.ts reaches; constructing nothing needs no engine.
        const result = spawnSync(tsNode, ["--project", "tsconfig.json", "-e", 'require("./components"); require("./config")'], {
            cwd: PROJECT_DIR,
            encoding: "utf8",
            timeout: 120_000,
        });
        expect(result.stderr).toBe("");
        expect(result.status).toBe(0);
    });
});
