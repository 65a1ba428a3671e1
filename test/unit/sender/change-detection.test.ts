import { describe, expect, it } from "vitest";
import { decideSync } from "../../../src/sender/change-detection.ts";
import { candidateOf } from "../../../src/sender/last-known-good.ts";
import { EMPTY_CONFIG_HASH } from "../../../src/kong/types.ts";

const target = candidateOf(
  { _format_version: "3.0", upstreams: [{ name: "kong", algorithm: "round-robin" }] },
  "primary",
);
const aliased = { ...target, aliases: ["feedfacefeedfacefeedfacefeedface"] };

describe("decideSync", () => {
  it.each([
    ["Kong runs our bytes", target, target.encoded.hash, { action: "skip" }],
    [
      "Kong runs it under an alias",
      aliased,
      "feedfacefeedfacefeedfacefeedface",
      { action: "skip" },
    ],
    ["Kong restarted empty", target, EMPTY_CONFIG_HASH, { action: "push", reason: "kongEmpty" }],
    [
      "Kong runs another config",
      target,
      "0123456789abcdef0123456789abcdef",
      { action: "push", reason: "differs" },
    ],
    ["Kong reports no hash", target, undefined, { action: "push", reason: "unknown" }],
  ])("%s", (_name, candidate, hash, decision) => {
    expect(decideSync(candidate, hash)).toEqual(decision);
  });

  it("skips an empty target on an empty Kong (never blanks twice)", () => {
    const empty = candidateOf({ _format_version: "3.0" }, "primary");
    expect(decideSync(empty, EMPTY_CONFIG_HASH)).toEqual({ action: "skip" });
  });
});
