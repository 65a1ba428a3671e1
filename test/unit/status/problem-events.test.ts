import { afterEach, describe, expect, it } from "vitest";
import type { ObjectRef } from "../../../src/model/object-ref.ts";
import { EventReason, type EventRequest } from "../../../src/status/events.ts";
import { ProblemEvents } from "../../../src/status/problem-events.ts";
import { ManualClock } from "../../support/manual-clock.ts";

const ingress = (name: string, uid = `u-${name}`): ObjectRef => ({
  group: "networking.k8s.io",
  version: "v1",
  kind: "Ingress",
  namespace: "shop",
  name,
  uid,
});

const problem = (ref: ObjectRef, message: string, reason: string = EventReason.TranslationFailed) =>
  ({ ref, type: "Warning", reason, message }) satisfies EventRequest;

const WEB = ingress("web");
const API = ingress("api");
const open: ProblemEvents[] = [];

afterEach(() => {
  for (const p of open.splice(0)) p.close();
});

function setup(minIntervalMs = 10_000) {
  const clock = new ManualClock();
  const written: string[] = [];
  const problems = new ProblemEvents({
    recorder: { record: r => written.push(`${r.ref.name}: ${r.message}`) },
    clock,
    minIntervalMs,
  });
  open.push(problems);
  return { clock, written, problems };
}

describe("ProblemEvents", () => {
  it("writes an object's problems the first time they are reported, then never again while they stay", async () => {
    const { problems, written, clock } = setup();
    problems.report("translation", [problem(WEB, "a"), problem(WEB, "b"), problem(API, "c")]);
    expect(written).toEqual(["web: a", "web: b", "api: c"]);
    for (let i = 0; i < 5; i++) {
      await clock.advance(60_000);
      problems.report("translation", [problem(API, "c"), problem(WEB, "b"), problem(WEB, "a")]);
    }
    expect(written).toHaveLength(3);
  });

  it("writes only the problem that is new when an object's set changes", async () => {
    const { problems, written, clock } = setup();
    problems.report("translation", [problem(WEB, "a")]);
    await clock.advance(10_000);
    problems.report("translation", [problem(WEB, "a"), problem(WEB, "b")]);
    problems.report("translation", [problem(WEB, "b")]);
    expect(written).toEqual(["web: a", "web: b"]);
  });

  it("writes a problem again when it comes back after it was gone", async () => {
    const { problems, written, clock } = setup();
    problems.report("translation", [problem(WEB, "a")]);
    problems.report("translation", []);
    await clock.advance(10_000);
    problems.report("translation", [problem(WEB, "a")]);
    expect(written).toEqual(["web: a", "web: a"]);
  });

  it("holds changes inside an object's window and writes the latest set when it ends", async () => {
    const { problems, written, clock } = setup();
    problems.report("translation", [problem(WEB, "a")]);
    await clock.advance(1000);
    problems.report("translation", [problem(WEB, "b")]);
    await clock.advance(1000);
    // c replaces b before the window ends: b is coalesced away, c is written.
    problems.report("translation", [problem(WEB, "c"), problem(WEB, "d")]);
    expect(written).toEqual(["web: a"]);
    await clock.advance(7999);
    expect(written).toEqual(["web: a"]);
    await clock.advance(1);
    expect(written).toEqual(["web: a", "web: c", "web: d"]);
  });

  it("never drops a change that is still current when its window ends", async () => {
    const { problems, written, clock } = setup();
    problems.report("translation", [problem(WEB, "a")]);
    problems.report("translation", [problem(WEB, "a"), problem(WEB, "b")]);
    // Translations that do not mention the delayed problem's object again change nothing.
    problems.report("translation", [problem(WEB, "a"), problem(WEB, "b"), problem(API, "x")]);
    await clock.advance(10_000);
    expect(written).toEqual(["web: a", "api: x", "web: b"]);
  });

  it("limits each object on its own: another object's problem is written at once", async () => {
    const { problems, written, clock } = setup();
    problems.report("translation", [problem(WEB, "a")]);
    await clock.advance(100);
    problems.report("translation", [problem(WEB, "a"), problem(WEB, "b"), problem(API, "c")]);
    expect(written).toEqual(["web: a", "api: c"]);
  });

  it("keeps each source's problems apart: a translation does not clear an apply failure", async () => {
    const { problems, written, clock } = setup();
    problems.report("apply", [problem(WEB, "rejected", EventReason.ApplyFailed)]);
    await clock.advance(10_000);
    problems.report("translation", []);
    problems.report("invalid", []);
    problems.report("apply", [problem(WEB, "rejected", EventReason.ApplyFailed)]);
    expect(written).toEqual(["web: rejected"]);
  });

  it("treats a re-created object (new uid) as a new object", () => {
    const { problems, written } = setup();
    problems.report("invalid", [problem(ingress("web", "u-1"), "bad")]);
    problems.report("invalid", [problem(ingress("web", "u-2"), "bad")]);
    expect(written).toEqual(["web: bad", "web: bad"]);
  });

  it("forgets a fixed object once its window has passed, and holds no timer after that", async () => {
    const { problems, written, clock } = setup();
    problems.report("translation", [problem(WEB, "a")]);
    problems.report("translation", []);
    expect(clock.pending).toBe(1);
    await clock.advance(10_000);
    expect(clock.pending).toBe(0);
    problems.report("translation", [problem(WEB, "a")]);
    expect(written).toEqual(["web: a", "web: a"]);
  });

  it("writes nothing that waits once closed", async () => {
    const { problems, written, clock } = setup();
    problems.report("translation", [problem(WEB, "a")]);
    problems.report("translation", [problem(WEB, "b")]);
    problems.close();
    await clock.advance(60_000);
    expect(written).toEqual(["web: a"]);
  });
});
