/** @type {import('jest').Config} */
module.exports = {
    testEnvironment: "node",
    roots: ["<rootDir>/tests"],
    transform: { "^.+\\.ts$": ["ts-jest", { diagnostics: false }] },
    testTimeout: 60000,
    // Suites wait on child processes (npm pack and install, promtool, amtool) much of the time: a
    // worker per core, not Jest's cores - 1, which is a single worker on a two-core CI machine.
    maxWorkers: "100%",
};
