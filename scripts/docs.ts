// Writes docs/configuration.md from the config schema.
import * as fs from "fs";
import * as path from "path";
import { configReferenceMarkdown } from "../config/reference";

const file = path.resolve(__dirname, "../docs/configuration.md");
fs.writeFileSync(file, configReferenceMarkdown());
console.log(`wrote ${path.relative(process.cwd(), file)}`);
