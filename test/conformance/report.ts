/**
 * Reads the verdict of each conformance test out of the driver's `go test -json` stream (test2json
 * events), and prints them as a table. The stream, not the suite's own report, is the source: the
 * suite records a test that calls t.Parallel() as passed before it has run.
 */

/** One test2json event (`go doc cmd/test2json`). */
export interface GoTestEvent {
  readonly Action: string;
  readonly Test?: string;
  readonly Output?: string;
  readonly Elapsed?: number;
}

export type Result = "pass" | "fail" | "skip" | "not run";

export interface Verdict {
  readonly test: string;
  readonly result: Result;
  /** Why it failed, was skipped or did not run; empty for a pass. */
  readonly reason: string;
  readonly seconds?: number;
}

/** The driver's Go test function; each conformance test is a subtest of it. */
export const DRIVER_TEST = "TestConformance";

/** Parses test2json output, one JSON object per line; other lines (e.g. a build error) are skipped. */
export function parseEvents(stream: string): GoTestEvent[] {
  const events: GoTestEvent[] = [];
  for (const line of stream.split("\n")) {
    if (!line.startsWith("{")) continue;
    try {
      const event = JSON.parse(line) as unknown;
      if (typeof event === "object" && event !== null && "Action" in event) {
        events.push(event as GoTestEvent);
      }
    } catch {
      // A truncated last line when the driver was killed: the events before it still count.
    }
  }
  return events;
}

/** The verdict of each of `tests`, in that order. */
export function verdicts(events: readonly GoTestEvent[], tests: readonly string[]): Verdict[] {
  const outcome = new Map<string, GoTestEvent>();
  const output = new Map<string, string[]>();
  for (const event of events) {
    if (event.Test === undefined) continue;
    if (event.Action === "output" && event.Output !== undefined) {
      output.set(event.Test, [...(output.get(event.Test) ?? []), event.Output]);
    } else if (["pass", "fail", "skip"].includes(event.Action)) {
      outcome.set(event.Test, event);
    }
  }
  const linesOf = (test: string): string[] =>
    [...output].filter(([name]) => name === test || name.startsWith(`${test}/`)).flatMap(e => e[1]);
  const driverFailure = (): string => {
    const fallback = "the driver ended before this test ran";
    if (outcome.get(DRIVER_TEST)?.Action !== "fail") return fallback;
    const lines = output.get(DRIVER_TEST) ?? [];
    const panic = lines.find(l => l.startsWith("panic: "));
    const why = panic === undefined ? failureReason(lines) : clean(panic);
    const anyRan = [...outcome.keys()].some(name => name.startsWith(`${DRIVER_TEST}/`));
    const what = anyRan ? "the driver failed before this test ran" : "suite setup failed";
    return why === "" ? what : `${what}: ${why}`;
  };

  return tests.map(test => {
    const full = `${DRIVER_TEST}/${test}`;
    const event = outcome.get(full);
    if (event === undefined) return { test, result: "not run", reason: driverFailure() };
    const seconds = event.Elapsed;
    const timing = seconds === undefined ? {} : { seconds };
    if (event.Action === "pass") return { test, result: "pass", reason: "", ...timing };
    if (event.Action === "skip") {
      return { test, result: "skip", reason: skipReason(output.get(full) ?? []), ...timing };
    }
    return { test, result: "fail", reason: failureOf(full, outcome, linesOf), ...timing };
  });
}

/** The deepest failed subtest's name and its first assertion message. */
function failureOf(
  test: string,
  outcome: ReadonlyMap<string, GoTestEvent>,
  linesOf: (test: string) => string[],
): string {
  const failed = [...outcome.values()]
    .filter(e => e.Action === "fail" && e.Test !== undefined && e.Test.startsWith(`${test}/`))
    .map(e => e.Test ?? "")
    .sort((a, b) => b.split("/").length - a.split("/").length);
  const deepest = failed[0];
  const why = failureReason(linesOf(deepest ?? test));
  const step =
    deepest === undefined ? "" : `${deepest.slice(test.length + 1).replace(/_/g, " ")}: `;
  return `${step}${why === "" ? "failed (see the go test output)" : why}`;
}

/**
 * The first failure in a test's output: testify's `Messages:` (else its `Error:` text, with its
 * continuation lines) and what the suite last logged before it, which usually says what it saw
 * (e.g. "stale conditions are: Accepted (generation 0)").
 */
export function failureReason(lines: readonly string[]): string {
  const text = lines.join("").split("\n");
  const at = text.findIndex(l => /^\s+Error:\s/.test(l));
  const lastLogged = (before: number): string | undefined =>
    text
      .slice(0, before)
      .map(logged)
      .filter(l => l !== undefined && l !== "")
      .at(-1);
  if (at < 0) return clean(lastLogged(text.length) ?? "");
  const error = [text[at]?.replace(/^\s+Error:\s+/, "") ?? ""];
  for (const line of text.slice(at + 1)) {
    if (/^\s+[A-Z][A-Za-z ]*:\s/.test(line) || !/^\s/.test(line)) break;
    error.push(line.trim());
  }
  const errorText = clean(error.join(" "));
  const messages = text
    .slice(at)
    .find(l => /^\s+Messages:\s/.test(l))
    ?.replace(/^\s+Messages:\s+/, "");
  const last = errorText.split(": ").at(-1) ?? errorText;
  const what =
    messages === undefined
      ? errorText
      : messages.includes(last)
        ? messages
        : `${messages}: ${errorText}`;
  const seen = lastLogged(at);
  return clean(seen === undefined ? what : `${what} (last seen: ${seen})`);
}

/** The text of a `file.go:123: ...` log line, without the suite's timestamp; undefined for others. */
function logged(line: string): string | undefined {
  const match = /^\s+\S+\.go:\d+: ?(.*)$/.exec(line);
  if (match === null) return undefined;
  return (match[1] ?? "").replace(/^\d{4}-\d\d-\d\dT[\d:.]+Z: /, "").trim();
}

function skipReason(lines: readonly string[]): string {
  const logged = lines
    .join("")
    .split("\n")
    .filter(l => /^\s+\S+\.go:\d+: /.test(l));
  return clean(logged.at(-1)?.replace(/^\s+\S+\.go:\d+: /, "") ?? "skipped");
}

function clean(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}

/** A plain-text table: test, result, reason (cut to `width` characters). */
export function formatTable(rows: readonly Verdict[], width = 160): string {
  const header = { test: "test", result: "result", reason: "reason" };
  const testWidth = Math.max(header.test.length, ...rows.map(r => r.test.length));
  const resultWidth = Math.max(header.result.length, ...rows.map(r => r.result.length));
  const line = (test: string, result: string, reason: string): string => {
    const cut = reason.length > width ? `${reason.slice(0, width - 1)}…` : reason;
    return `${test.padEnd(testWidth)}  ${result.padEnd(resultWidth)}  ${cut}`.trimEnd();
  };
  const passed = rows.filter(r => r.result === "pass").length;
  return [
    line(header.test, header.result, header.reason),
    line("-".repeat(testWidth), "-".repeat(resultWidth), "-".repeat(6)),
    ...rows.map(r => line(r.test, r.result, r.reason)),
    `${String(passed)} of ${String(rows.length)} passed`,
  ].join("\n");
}
