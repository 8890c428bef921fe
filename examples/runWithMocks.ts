// Runs a compiled Pulumi program under Pulumi's mocks, with the @pulumi/pulumi the program itself
// installed, and writes what it registered as JSON: how tests/package.test.ts checks an example
// without a cluster or the Pulumi CLI. It works for a program of your own too: copy it next to the
// program, add it to tsconfig.json's files, then
//   npx tsc && node bin/runWithMocks.js bin/index.js registered.json
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";

/** One resource as the engine would have received it. */
export interface Registered {
    type: string;
    name: string;
    /** The provider reference (`urn::id`) of a custom resource. */
    provider?: string;
    inputs: Record<string, unknown>;
}

/** What a run leaves behind: resources, resolved stack outputs, and what the program threw. */
export interface MockRun {
    resources: Registered[];
    outputs: Record<string, unknown>;
    error?: string;
}

async function main([program, resultFile]: string[]): Promise<void> {
    const run: MockRun = { resources: [], outputs: {} };
    await pulumi.runtime.setMocks(
        {
            newResource({ type, name, provider, inputs }) {
                run.resources.push({ type, name, provider, inputs });
                // A RandomPassword's result is what the engine would generate: it has no input to echo.
                const state = type === "random:index/randomPassword:RandomPassword" ? { ...inputs, result: "mock-password" } : inputs;
                return { id: `${name}-id`, state };
            },
            call: ({ inputs }) => inputs,
        },
        "mock-project",
        "mock-stack",
        false,
    );
    try {
        // The program is compiled CommonJS, loaded by path only once the mocks are set.
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const exported: Record<string, unknown> = require(path.resolve(program));
        for (const [name, value] of Object.entries(exported)) run.outputs[name] = await resolved(value);
    } catch (error) {
        run.error = error instanceof Error ? error.message : String(error);
    }
    // Registrations that no output waits for are done once Node has nothing left to run.
    process.once("beforeExit", () => fs.writeFileSync(resultFile, JSON.stringify(run)));
}

const resolved = (value: unknown): Promise<unknown> =>
    pulumi.Output.isInstance(value) ? new Promise((resolve) => value.apply(resolve)) : Promise.resolve(value);

void main(process.argv.slice(2));
