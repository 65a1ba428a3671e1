/**
 * Events as leader-only work, through the real ProblemEvents: a follower judges problems but writes
 * nothing; a replica that starts leading writes every problem current then, and nothing stale.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { ObjectRef } from "../../../src/model/object-ref.ts";
import { EventReason, type EventRequest } from "../../../src/status/events.ts";
import { ProblemEvents } from "../../../src/status/problem-events.ts";
import { LeaderOnlyEvents } from "../../../src/runtime/leader-only-events.ts";
import { ManualClock, settle } from "../../support/manual-clock.ts";

const ingress = (name: string): ObjectRef => ({
  group: "networking.k8s.io",
  version: "v1",
  kind: "Ingress",
  namespace: "shop",
  name,
  uid: `u-${name}`,
});

const problem = (name: string, message: string, reason: string = EventReason.TranslationFailed) =>
  ({ ref: ingress(name), type: "Warning", reason, message }) satisfies EventRequest;

const open: ProblemEvents[] = [];
afterEach(() => {
  for (const p of open.splice(0)) p.close();
});

function setup() {
  const clock = new ManualClock();
  const written: string[] = [];
  const events: LeaderOnlyEvents = new LeaderOnlyEvents({
    recorder: { record: r => written.push(`${r.ref.name}: ${r.message}`) },
    current: () => problems.current(),
  });
  const problems = new ProblemEvents({ recorder: events, clock });
  open.push(problems);
  return { clock, written, problems, events };
}

describe("LeaderOnlyEvents", () => {
  it("writes nothing while it does not run", () => {
    const { problems, written } = setup();
    problems.report("translation", [problem("web", "no such Service")]);
    expect(written).toEqual([]);
  });

  it("on start writes every current problem once, from every source, but not those gone", async () => {
    const { clock, problems, written, events } = setup();
    problems.report("translation", [problem("web", "a"), problem("api", "gone soon")]);
    problems.report("apply", [problem("web", "rejected", EventReason.ApplyFailed)]);
    problems.report("translation", [problem("web", "a")]);
    const term = new AbortController();
    const running = events.run(term.signal);
    expect(written.sort()).toEqual(["web: a", "web: rejected"]);

    // While it runs, new problems are written as they come (api's within ProblemEvents' limit of
    // one write per object per 10 s, which its first problem's report started).
    problems.report("translation", [problem("web", "a"), problem("api", "new")]);
    problems.report("translation", [
      problem("web", "a"),
      problem("api", "new"),
      problem("db", "b"),
    ]);
    expect(written).toContain("db: b");
    await clock.advance(10_000);
    expect(written).toContain("api: new");

    // Leadership ends: writing stops at once.
    term.abort();
    await running;
    problems.report("translation", [
      problem("web", "a"),
      problem("api", "new"),
      problem("x", "later"),
    ]);
    await settle();
    expect(written).not.toContain("x: later");
  });

  it("a term that has already ended writes nothing", async () => {
    const { problems, written, events } = setup();
    problems.report("translation", [problem("web", "a")]);
    await events.run(AbortSignal.abort());
    problems.report("translation", [problem("web", "a"), problem("web", "b")]);
    expect(written).toEqual([]);
  });
});
