import { describe, expect, it } from "vitest";
import { escapeControl } from "../../../src/util/escape-control.ts";
import { writeLines } from "../../../src/cli/offline.ts";

describe("escapeControl", () => {
  it.each([
    ["plain text and unicode stay", "shop/web: ünïcode ✓", "shop/web: ünïcode ✓"],
    ["ANSI clear screen", "name\u001b[2J\u001b[H", "name\\x1b[2J\\x1b[H"],
    ["carriage return that would hide a line", "ok\rEVIL", "ok\\x0dEVIL"],
    ["C1 CSI and DEL", "a\u009b31mb\u007f", "a\\x9b31mb\\x7f"],
    ["tab kept", "a\tb", "a\tb"],
  ])("%s", (_name, input, expected) => {
    expect(escapeControl(input)).toBe(expected);
  });

  it("applies to the CLI's problem lines", () => {
    let out = "";
    writeLines({ write: (s: string) => (out += s) }, ["Ingress evil/\u001b[31mx: bad"]);
    expect(out).toBe("Ingress evil/\\x1b[31mx: bad\n");
  });
});
