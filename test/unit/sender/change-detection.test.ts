import { describe, expect, it } from "vitest";
import { decideSync } from "../../../src/sender/change-detection.ts";
import { candidateFromDump, candidateOf } from "../../../src/sender/last-known-good.ts";
import { EMPTY_CONFIG_HASH } from "../../../src/kong/types.ts";
import { buildSnapshot } from "../../../src/model/snapshot.ts";
import { DEFAULT_TRANSLATE_OPTIONS, translate } from "../../../src/translator/index.ts";

// An empty cluster: the translator's config holds only the stub upstream.
const target = candidateOf(translate(buildSnapshot([]), DEFAULT_TRANSLATE_OPTIONS), "primary");
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
    // A config without entities: what a Kong that was never configured dumps.
    const empty = candidateFromDump('_format_version: "3.0"\n', EMPTY_CONFIG_HASH);
    if (empty === undefined) throw new Error("the dump did not parse");
    expect(decideSync(empty, EMPTY_CONFIG_HASH)).toEqual({ action: "skip" });
  });
});
