import { readFileSync } from "node:fs";

/** The version from package.json, read where it sits next to `src/` (also from a built `dist/`). */
export function packageVersion(): string {
  const text = readFileSync(new URL("../../package.json", import.meta.url), "utf8");
  const pkg = JSON.parse(text) as { version?: unknown };
  return typeof pkg.version === "string" ? pkg.version : "unknown";
}
