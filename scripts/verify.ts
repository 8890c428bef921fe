// Checks a deployed stack end to end, as an operator would right after `pulumi up`: workloads
// ready, a span through the collector into Tempo, a log line into Loki, Prometheus' targets (the
// DCGM exporter on every GPU node), Grafana and its datasources. One line per check, a summary.
//   npm run verify [-- --stack dev] [-- --config-file path/to/Pulumi.other.yaml]
import * as path from "path";
import { parseDuration } from "../config/formats";
import { StackConfig } from "../config/schema";
import { PROJECT_DIR } from "./lib/mockEngine";
import { ClusterAccess } from "./verify/clusterAccess";
import { DEFAULT_OPTIONS, formatMs, VerifyOptions } from "./verify/options";
import { exitCodeOf, formatResult, summaryLine } from "./verify/result";
import { loadStackConfig } from "./verify/stackConfig";
import { verifyStack } from "./verify/verifyStack";

const USAGE = `usage: npm run verify -- [--stack <name>] [--config-file <file>]
                           [--request-timeout <duration>] [--poll-attempts <n>] [--poll-interval <duration>] [--deadline <duration>]
  --stack            the stack whose Pulumi.<name>.yaml is read (default: dev)
  --config-file      read this stack file instead
  --request-timeout  time limit of each request (default: ${formatMs(DEFAULT_OPTIONS.requestTimeoutMs)})
  --poll-attempts    times the test span and log line are looked for (default: ${DEFAULT_OPTIONS.pollAttempts})
  --poll-interval    pause between two looks (default: ${formatMs(DEFAULT_OPTIONS.pollIntervalMs)})
  --deadline         time limit of the whole run (default: ${formatMs(DEFAULT_OPTIONS.deadlineMs)})
Durations are written as 500ms, 10s or 5m.
Exit code: 0 all passed (or skipped), 1 a check failed, 2 a usage, config or kubeconfig error.`;

const EXIT_USAGE = 2;

/** A mistake on the command line: its message, then the usage. */
class UsageError extends Error {}

export interface VerifyArgs {
    stack: string;
    configFile: string;
    options: VerifyOptions;
    help: boolean;
}

export function parseArgs(argv: readonly string[]): VerifyArgs {
    let stack = "dev";
    let configFile: string | undefined;
    let help = false;
    const options: VerifyOptions = { ...DEFAULT_OPTIONS };
    const durationFlags = {
        "--request-timeout": "requestTimeoutMs",
        "--poll-interval": "pollIntervalMs",
        "--deadline": "deadlineMs",
    } as const;
    for (let i = 0; i < argv.length; i++) {
        const flag = argv[i];
        if (flag === "--help" || flag === "-h") {
            help = true;
            continue;
        }
        const value = argv[++i];
        if (value === undefined || value.startsWith("--")) throw new UsageError(`${flag} needs a value`);
        if (flag === "--stack") stack = value;
        else if (flag === "--config-file") configFile = value;
        else if (flag === "--poll-attempts") options.pollAttempts = positiveInteger(flag, value);
        else if (flag in durationFlags) options[durationFlags[flag as keyof typeof durationFlags]] = positiveDuration(flag, value);
        else throw new UsageError(`unknown argument ${flag}`);
    }
    return { stack, configFile: configFile ?? path.join(PROJECT_DIR, `Pulumi.${stack}.yaml`), options, help };
}

function positiveInteger(flag: string, value: string): number {
    if (!/^[1-9]\d*$/.test(value)) throw new UsageError(`${flag} ${value} is not a positive whole number`);
    return Number(value);
}

function positiveDuration(flag: string, value: string): number {
    const ms = parseDuration(value);
    if (!ms) throw new UsageError(`${flag} ${value} is not a positive duration; write it as 500ms, 10s or 5m`);
    return ms;
}

export interface VerifyDependencies {
    /** Opens the cluster access; by default from the user's kubeconfig. */
    connect?: (warn: (line: string) => void) => Promise<ClusterAccess>;
    print?: (line: string) => void;
    printError?: (line: string) => void;
}

// Loaded only when used: the Kubernetes client is ESM-only, which tsx loads and jest's CommonJS
// runtime cannot, so tests (which hand in their own access) never load it.
async function connectWithKubeconfig(warn: (line: string) => void): Promise<ClusterAccess> {
    const { KubeClusterAccess } = await import("./verify/kubeCluster");
    return KubeClusterAccess.fromDefaultKubeconfig(warn);
}

/** Runs `verify` with the given arguments and returns its exit code. */
export async function main(argv: readonly string[], dependencies: VerifyDependencies = {}): Promise<number> {
    const print = dependencies.print ?? ((line: string) => console.log(line));
    const printError = dependencies.printError ?? ((line: string) => console.error(line));
    const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

    let args: VerifyArgs;
    try {
        args = parseArgs(argv);
    } catch (error) {
        printError(`${messageOf(error)}\n${USAGE}`);
        return EXIT_USAGE;
    }
    if (args.help) {
        print(USAGE);
        return 0;
    }
    let config: StackConfig;
    try {
        config = loadStackConfig(args.configFile, args.stack);
    } catch (error) {
        printError(messageOf(error));
        return EXIT_USAGE;
    }
    let cluster: ClusterAccess;
    try {
        cluster = await (dependencies.connect ?? connectWithKubeconfig)(printError);
    } catch (error) {
        printError(`cannot use the cluster: ${messageOf(error)}`);
        return EXIT_USAGE;
    }
    try {
        const file = path.relative(process.cwd(), args.configFile) || args.configFile;
        print(`Verifying stack "${args.stack}" (${file}) in namespace ${config.namespace}:`);
        const results = await verifyStack(config, cluster, args.options, (result) => print(formatResult(result)));
        print(summaryLine(results));
        return exitCodeOf(results);
    } finally {
        await cluster.close();
    }
}

if (require.main === module) {
    // Exit explicitly: the Kubernetes client may keep idle connections open after close().
    main(process.argv.slice(2)).then(
        (code) => process.exit(code),
        (error: unknown) => {
            console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
            process.exit(1);
        },
    );
}
