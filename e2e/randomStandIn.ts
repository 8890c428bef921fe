// A stand-in for the `random` provider plugin, which cannot be built from the Go module proxy (its
// shim module is not published). It serves exactly what the stack uses, `RandomPassword` with
// `length` and `special`, the way the real provider does: a new password only when an input
// changes, kept in state otherwise. Run by the engine as `pulumi-resource-random` from PATH.
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import * as provider from "@pulumi/pulumi/provider";

const RANDOM_PASSWORD = "random:index/randomPassword:RandomPassword";
const ALPHANUMERIC = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
// The real provider's default special characters.
const SPECIAL = "!@#$%&*()-_=+[]{}<>:?";

export function randomPassword(length: number, special: boolean): string {
    const alphabet = ALPHANUMERIC + (special ? SPECIAL : "");
    return Array.from({ length }, () => alphabet[crypto.randomInt(alphabet.length)]).join("");
}

const sdkVersion = (): string =>
    JSON.parse(fs.readFileSync(path.join(path.dirname(require.resolve("@pulumi/random")), "package.json"), "utf8")).version;

interface PasswordInputs {
    length: number;
    special?: boolean;
}

export const randomStandIn: provider.Provider = {
    // The version the project's @pulumi/random SDK asks for, so the engine takes this plugin for it.
    version: sdkVersion(),
    async check(urn, _olds, news: PasswordInputs) {
        if (!urn.includes(`${RANDOM_PASSWORD}::`)) {
            return { failures: [{ property: "", reason: `the e2e stand-in serves only ${RANDOM_PASSWORD}` }] };
        }
        if (!Number.isInteger(news.length) || news.length < 1)
            return { failures: [{ property: "length", reason: "length must be a positive whole number" }] };
        return { inputs: news };
    },
    async diff(_id, _urn, olds: PasswordInputs, news: PasswordInputs) {
        const replaces = (["length", "special"] as const).filter((key) => (olds[key] ?? true) !== (news[key] ?? true));
        return { changes: replaces.length > 0, replaces };
    },
    async create(_urn, inputs: PasswordInputs) {
        return { id: "none", outs: { ...inputs, result: randomPassword(inputs.length, inputs.special ?? true) } };
    },
    async read(id, _urn, props) {
        return { id, props };
    },
    async delete() {},
};

if (require.main === module) {
    provider.main(randomStandIn, process.argv.slice(2)).catch((error) => {
        console.error(error);
        process.exit(1);
    });
}
