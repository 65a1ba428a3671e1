/**
 * Verdicts read from real `go test -json` streams of the conformance driver, trimmed of repeated poll
 * lines: fixtures/setup-failed.jsonl (no controller wrote the GatewayClass's status, so the suite's
 * setup timed out) and fixtures/statuses-faked.jsonl (a script marked every GatewayClass and Gateway
 * accepted, so some tests passed, some failed, and those needing unsupported features were skipped).
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { formatTable, parseEvents, verdicts, type Verdict } from "./report.ts";
import { CONFORMANCE_TESTS } from "./tests.ts";

const fixture = (name: string): string =>
  readFileSync(new URL(`fixtures/${name}.jsonl`, import.meta.url), "utf8");
const TESTS = Object.keys(CONFORMANCE_TESTS);

function byTest(rows: readonly Verdict[]): Record<string, Verdict> {
  return Object.fromEntries(rows.map(r => [r.test, r]));
}

describe("conformance verdicts from the driver's go test -json stream", () => {
  it("reports a failed suite setup on every test, with the suite's message and what it last saw", () => {
    const rows = verdicts(parseEvents(fixture("setup-failed")), TESTS);
    expect(rows.map(r => r.test)).toEqual(TESTS);
    expect(new Set(rows.map(r => r.result))).toEqual(new Set(["not run"]));
    expect(rows[0]?.reason).toBe(
      "suite setup failed: error waiting for kong GatewayClass to have Accepted condition to be set: " +
        "context deadline exceeded (last seen: GatewayClassexpected observedGeneration to be updated " +
        "to 1 for all conditions, only 0/1 were updated. stale conditions are: Accepted (generation 0))",
    );
  });

  it("tells passes, failures (with the failing step) and skips (with the suite's reason) apart", () => {
    const rows = byTest(verdicts(parseEvents(fixture("statuses-faked")), TESTS));
    expect(rows["GatewayObservedGenerationBump"]).toMatchObject({ result: "pass", reason: "" });
    expect(rows["GatewayObservedGenerationBump"]?.seconds).toBeGreaterThan(0);
    expect(rows["GatewayInvalidRouteKind"]?.result).toBe("fail");
    expect(rows["GatewayInvalidRouteKind"]?.reason).toMatch(
      /^Gateway listener should have a false ResolvedRefs condition with reason InvalidRouteKinds and no supportedKinds: error waiting for Gateway status to have listeners matching expectations: Received unexpected error: context deadline exceeded \(last seen: Expected list of SupportedKinds was empty/,
    );
    expect(rows["HTTPRouteObservedGenerationBump"]).toMatchObject({ result: "fail" });
    expect(rows["HTTPRouteObservedGenerationBump"]?.reason).toMatch(
      /^observedGeneration should increment: error waiting for HTTPRoute status to have a Condition matching expectations/,
    );
    expect(rows["TCPRouteInvalidNonTCPListener"]).toMatchObject({
      result: "skip",
      reason: "Skipping TCPRouteInvalidNonTCPListener: suite does not support TCPRoute",
    });
    expect(rows["GatewayModifyListeners"]).toMatchObject({
      result: "skip",
      reason: "Skipping GatewayModifyListeners: test explicitly skipped",
    });
  });

  it("reports the tests after a cut-off stream as not run, and keeps the verdicts before it", () => {
    const lines = fixture("statuses-faked").split("\n");
    const last = lines.findIndex(
      l =>
        l.includes('"Action":"pass"') &&
        l.includes('"Test":"TestConformance/GatewayObservedGenerationBump"'),
    );
    // Killed mid-write: the next line is cut short, which must not hide the verdicts before it.
    const cut = [...lines.slice(0, last + 1), lines[last + 1]?.slice(0, 20) ?? ""].join("\n");
    const rows = byTest(verdicts(parseEvents(cut), TESTS));
    expect(rows["HTTPRouteObservedGenerationBump"]?.result).toBe("fail");
    expect(rows["GatewayObservedGenerationBump"]?.result).toBe("pass");
    expect(rows["GatewayInvalidRouteKind"]).toMatchObject({
      result: "not run",
      reason: "the driver ended before this test ran",
    });
  });

  it("prints one row per test and a count of passes", () => {
    const table = formatTable(
      [
        { test: "A", result: "pass", reason: "" },
        { test: "Longer", result: "fail", reason: "x".repeat(30) },
      ],
      10,
    ).split("\n");
    expect(table).toEqual([
      "test    result  reason",
      "------  ------  ------",
      "A       pass",
      `Longer  fail    ${"x".repeat(9)}…`,
      "1 of 2 passed",
    ]);
  });
});
