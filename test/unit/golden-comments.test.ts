/**
 * Every golden case's in.yaml starts with a comment saying what the case shows and, where the output
 * differs from KIC's on purpose, why. A regenerated golden is reviewed against that comment rather
 * than accepted because it is new, so a case without one cannot be reviewed.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const goldenRoot = join(import.meta.dirname, "..", "golden");
const cases = readdirSync(goldenRoot, { withFileTypes: true })
  .filter(d => d.isDirectory())
  .map(d => d.name)
  .sort();

/** A bare `#` or a word or two is a placeholder, not a note a reviewer can check an output against. */
const MIN_WORDS = 8;

/** The text of the comment lines the file starts with, `#` markers removed; "" when it starts otherwise. */
function leadingComment(text: string): string {
  const lines: string[] = [];
  for (const line of text.split("\n")) {
    if (!line.startsWith("#")) break;
    lines.push(line.replace(/^#+\s?/, ""));
  }
  return lines.join(" ").trim();
}

function wordCount(text: string): number {
  return text.split(/\s+/).filter(w => w !== "").length;
}

describe("golden case notes", () => {
  it("finds the golden cases", () => {
    expect(cases.length).toBeGreaterThanOrEqual(25);
  });

  it("reads only the comment lines at the very start of a file", () => {
    expect(leadingComment("# Two Ingresses\n#   claim one path\napiVersion: v1\n# later\n")).toBe(
      "Two Ingresses   claim one path",
    );
    expect(leadingComment("apiVersion: v1\n# a comment after the first line\n")).toBe("");
    expect(leadingComment("\n# after a blank line\n")).toBe("");
    expect(leadingComment("---\n# after a document marker\n")).toBe("");
  });

  it.each(cases)("%s/in.yaml starts with a note on what the case shows", name => {
    const path = join(goldenRoot, name, "in.yaml");
    expect(existsSync(path), `${path} is missing`).toBe(true);
    const note = leadingComment(readFileSync(path, "utf8"));
    expect(
      wordCount(note),
      `${path} must start with a comment (at least ${MIN_WORDS} words) saying what the case shows and, where it differs from KIC on purpose, why`,
    ).toBeGreaterThanOrEqual(MIN_WORDS);
  });
});
