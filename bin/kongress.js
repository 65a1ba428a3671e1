#!/usr/bin/env node
// From a checkout, Node 24 runs the TypeScript sources directly. The image ships only the compiled
// JavaScript (no src/): loading it costs less memory than stripping types at start-up.
import { existsSync } from "node:fs";
import process from "node:process";
import { fileURLToPath } from "node:url";

// The Node the repository pins (package.json's `node` dev dependency) and the image runs. Older ones
// fail on the .ts sources with ERR_UNKNOWN_FILE_EXTENSION, which says nothing about the way out.
const REQUIRED_NODE_MAJOR = 24;
if (Number(process.versions.node.split(".")[0]) < REQUIRED_NODE_MAJOR) {
  const args = process.argv.slice(2).join(" ") || "--help";
  process.stderr.write(
    [
      `kongress needs Node.js ${REQUIRED_NODE_MAJOR} or newer; this is Node.js ${process.version} (${process.execPath}).`,
      `From a clone, run it through npm, which uses the Node ${REQUIRED_NODE_MAJOR} the repository pins:`,
      `  npm ci && npx kongress ${args}`,
      `or install Node.js ${REQUIRED_NODE_MAJOR} (https://nodejs.org/en/download, or \`nvm install ${REQUIRED_NODE_MAJOR}\`) and run this again.`,
      "",
    ].join("\n"),
  );
  process.exit(2);
}

const compiled = !existsSync(fileURLToPath(import.meta.resolve("../src/cli/main.ts")));
const { main } = compiled
  ? await import("../dist/cli/main.js")
  : await import("../src/cli/main.ts");

await main();
