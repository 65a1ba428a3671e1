#!/usr/bin/env node
// From a checkout, Node 24 runs the TypeScript sources directly. The image ships only the compiled
// JavaScript (no src/): loading it costs less memory than stripping types at start-up.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const compiled = !existsSync(fileURLToPath(import.meta.resolve("../src/cli/main.ts")));
const { main } = compiled
  ? await import("../dist/cli/main.js")
  : await import("../src/cli/main.ts");

await main();
