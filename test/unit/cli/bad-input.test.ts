import { execFileSync } from "node:child_process";
import { symlinkSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { DEFAULT_MAX_FILE_BYTES } from "../../../src/cli/load-manifests.ts";
import { APP, cli, tempTree } from "./support.ts";

const FIVE_MB = 5 * 1024 * 1024;

/** Deterministic pseudo-random bytes (a 32-bit LCG), so a failure can be reproduced. */
function noiseBytes(length: number, seed: number): Buffer {
  const out = Buffer.allocUnsafe(length);
  let x = seed >>> 0;
  for (let i = 0; i < length; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

/** Nonsense made of the characters YAML gives meaning to, plus letters, spaces and line breaks. */
function noiseText(length: number, seed: number): string {
  const alphabet = "abcXYZ019 :{}[]-#&*!|>'\"%@`,?\n\t";
  return Array.from(noiseBytes(length, seed), b => alphabet[b % alphabet.length]).join("");
}

const { dir, cleanup } = tempTree({
  "good.yaml": APP,
  "invalid.yaml": `apiVersion: v1\nkind: Service\nmetadata:\n  name: [web\nspec: {}\n`,
  "tabs.yaml": `apiVersion: v1\nkind: Service\nmetadata:\n\tname: web\n`,
  "duplicate-key.yaml": `apiVersion: v1\nkind: Service\nkind: Secret\nmetadata:\n  name: web\n`,
  "second-doc.yaml": `${APP}---\nkind: Service\n  bad: indentation\n`,
  "invalid.json": `{\n  "apiVersion": "v1",\n  "kind": "Service",\n  "metadata": { "name": "web", }\n  oops\n}\n`,
  "scalar.yaml": "just some words\n",
  "sequence.yaml": "- apiVersion: v1\n  kind: Service\n",
  "no-kind.yaml": `${APP}---\napiVersion: v1\nmetadata:\n  name: web\n`,
  "list-item-no-kind.json": JSON.stringify(
    { apiVersion: "v1", kind: "List", items: [{ metadata: { name: "x" } }] },
    null,
    2,
  ),
  "aliases.yaml": `a: &a [1, 2, 3, 4, 5, 6, 7, 8, 9]\n${Array.from(
    { length: 9 },
    (_, i) =>
      `b${i}: &x${i} [${Array<string>(9)
        .fill(i === 0 ? "*a" : `*x${i - 1}`)
        .join(", ")}]`,
  ).join("\n")}\n`,
  "binary.yaml": noiseBytes(FIVE_MB, 1),
  "noise.yaml": noiseText(FIVE_MB, 2),
  "brackets.yaml": "[".repeat(FIVE_MB),
  "dashes.yaml": "- ".repeat(FIVE_MB / 2),
  "flat.yaml": `[${"a, ".repeat(FIVE_MB / 3)}]`,
  "words.yaml": "nonsense ".repeat(FIVE_MB / 9),
  "empty-dir/README.md": "no manifests here",
  "a-file": "x",
});
afterAll(cleanup);

async function expectFileError(args: readonly string[], message: string | RegExp): Promise<void> {
  const run = await cli(["translate", ...args], dir);
  expect(run.code).toBe(2);
  expect(run.stdout).toBe("");
  const lines = run.stderr.split("\n").filter(l => l !== "");
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(message);
  expect(run.stderr).not.toMatch(/\n\s+at /);
}

describe("kongress translate: files that cannot be read exit 2", () => {
  it("a path that does not exist", async () => {
    await expectFileError(
      ["-f", "good.yaml", "-f", "missing.yaml"],
      "kongress translate: missing.yaml: no such file or directory",
    );
  });

  it("a path under a regular file", async () => {
    await expectFileError(
      ["-f", "a-file/x.yaml"],
      "kongress translate: a-file/x.yaml: a parent of this path is not a directory",
    );
  });

  it("a dangling symbolic link", () => {
    symlinkSync(join(dir, "nowhere.yaml"), join(dir, "dangling.yaml"));
    return expectFileError(
      ["-f", "dangling.yaml"],
      "kongress translate: dangling.yaml: no such file or directory",
    );
  });

  it("a FIFO, which would block forever if read (even as root)", () => {
    execFileSync("mkfifo", [join(dir, "pipe.yaml")]);
    return expectFileError(
      ["-f", "pipe.yaml"],
      "kongress translate: pipe.yaml: not a regular file or directory",
    );
  });

  it("a directory without manifests", async () => {
    await expectFileError(
      ["-f", "empty-dir"],
      "kongress translate: empty-dir: no .yaml, .yml or .json files in this directory",
    );
  });

  it("a file over the size limit, refused before it is read", () => {
    writeFileSync(join(dir, "huge.yaml"), "");
    truncateSync(join(dir, "huge.yaml"), DEFAULT_MAX_FILE_BYTES + 1);
    return expectFileError(
      ["-f", "huge.yaml"],
      `kongress translate: huge.yaml: ${DEFAULT_MAX_FILE_BYTES + 1} bytes is over the ${DEFAULT_MAX_FILE_BYTES}-byte limit for a manifest file`,
    );
  });
});

describe("kongress translate: files that cannot be parsed exit 2, naming the file and line", () => {
  it.each([
    ["invalid.yaml", /^kongress translate: invalid\.yaml:5: Flow sequence/],
    ["tabs.yaml", /^kongress translate: tabs\.yaml:4: /],
    ["duplicate-key.yaml", /^kongress translate: duplicate-key\.yaml:3: Map keys must be unique/],
    [
      "second-doc.yaml",
      new RegExp(`^kongress translate: second-doc\\.yaml:${APP.split("\n").length + 1}: `),
    ],
    ["invalid.json", /^kongress translate: invalid\.json:5: /],
    ["scalar.yaml", "kongress translate: scalar.yaml:1: not a Kubernetes object (found string)"],
    [
      "sequence.yaml",
      "kongress translate: sequence.yaml:1: not a Kubernetes object (found a list)",
    ],
    [
      "no-kind.yaml",
      `kongress translate: no-kind.yaml:${APP.split("\n").length + 1}: not a Kubernetes object (found a mapping without apiVersion and kind)`,
    ],
    [
      "list-item-no-kind.json",
      "kongress translate: list-item-no-kind.json:5: not a Kubernetes object (found a mapping without apiVersion and kind)",
    ],
    ["aliases.yaml", /^kongress translate: aliases\.yaml: cannot parse: .*alias/],
  ])("%s", async (file, message) => {
    await expectFileError(["-f", file], message);
  });
});

describe("kongress translate: 5 MB of nonsense exits 2 with one line and no stack trace", () => {
  it.each([
    ["binary.yaml", "kongress translate: binary.yaml: not UTF-8 text"],
    ["noise.yaml", /^kongress translate: noise\.yaml:\d+: /],
    ["brackets.yaml", "kongress translate: brackets.yaml:1: nested more than 100 levels deep"],
    ["dashes.yaml", "kongress translate: dashes.yaml:1: nested more than 100 levels deep"],
    [
      "flat.yaml",
      "kongress translate: flat.yaml:1: more than 1000000 values; split it into smaller files",
    ],
    ["words.yaml", "kongress translate: words.yaml:1: not a Kubernetes object (found string)"],
  ])("%s", async (file, message) => {
    await expectFileError(["-f", file], message);
  });

  it("prints nothing on stdout even when the other files are fine", async () => {
    await expectFileError(["-f", "good.yaml", "-f", "brackets.yaml"], /brackets\.yaml/);
  });

  it("fails the same way in validate", async () => {
    const run = await cli(["validate", "-f", "noise.yaml"], dir);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toMatch(/^kongress validate: noise\.yaml:\d+: /);
  });
});
