import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { ApiServerProbe } from "../../../src/kube/apiserver-probe.ts";
import type { RetryWaitEnd } from "../../../src/kube/backoff.ts";
import type { KubeHealthApi, RequestOptions } from "../../../src/kube/client.ts";
import { KubeUnreachableError } from "../../../src/kube/errors.ts";
import { ManualClock, settle } from "./fakes.ts";

const logger = pino({ level: "silent" });

type Answer = number | "refused" | "hang";

/** A health endpoint that answers as the test says: a status, a refused connection, or nothing. */
class FakeHealth implements KubeHealthApi {
  answer: Answer = 200;
  readonly paths: string[] = [];
  abandoned = 0;

  async healthStatus(path: string, opts: RequestOptions): Promise<number> {
    this.paths.push(path);
    await Promise.resolve();
    const answer = this.answer;
    if (answer === "refused") throw new KubeUnreachableError("connect ECONNREFUSED");
    if (answer !== "hang") return answer;
    return new Promise((_resolve, reject) => {
      opts.signal.addEventListener(
        "abort",
        () => {
          this.abandoned += 1;
          reject(opts.signal.reason as Error);
        },
        { once: true },
      );
    });
  }
}

function setup(answer: Answer) {
  const health = new FakeHealth();
  health.answer = answer;
  const clock = new ManualClock();
  const probe = new ApiServerProbe({ health, clock, logger });
  return { health, clock, probe };
}

/** Starts a wait and records how it ended. */
function waitOn(probe: ApiServerProbe, delayMs: number, signal = new AbortController().signal) {
  const outcome: { end?: RetryWaitEnd } = {};
  void probe.wait(delayMs, signal).then(end => (outcome.end = end));
  return outcome;
}

describe("ApiServerProbe", () => {
  it("checks /readyz once after a failure; when it answers, the wait runs its whole delay", async () => {
    const { health, clock, probe } = setup(200);
    const waiting = waitOn(probe, 5000);
    await settle();
    expect(health.paths).toEqual(["/readyz"]);
    expect(probe.unreachable).toBe(false);
    await clock.advance(4999);
    expect(waiting.end).toBeUndefined();
    await clock.advance(1);
    expect(waiting.end).toBe("elapsed");
    expect(health.paths).toHaveLength(1);
  });

  it("probes every second while unreachable, and ends every wait the moment it answers", async () => {
    const { health, clock, probe } = setup("refused");
    const long = waitOn(probe, 30_000);
    const shorter = waitOn(probe, 16_000);
    await settle();
    expect(probe.unreachable).toBe(true);
    await clock.advance(1000);
    await clock.advance(1000);
    expect(health.paths).toHaveLength(3);
    expect([long.end, shorter.end]).toEqual([undefined, undefined]);
    health.answer = 200;
    await clock.advance(1000);
    expect([long.end, shorter.end]).toEqual(["recovered", "recovered"]);
    expect(probe.unreachable).toBe(false);
    await clock.advance(60_000);
    expect(health.paths).toHaveLength(4);
  });

  it("sends one probe per interval however many clients fail together", async () => {
    const { health, clock, probe } = setup("refused");
    const waits = Array.from({ length: 20 }, () => waitOn(probe, 500));
    await settle();
    expect(health.paths).toHaveLength(1);
    await clock.advance(500);
    expect(waits.every(w => w.end === "elapsed")).toBe(true);
    // Everyone retries, fails again and waits again: the next probe still keeps the interval.
    const again = Array.from({ length: 20 }, () => waitOn(probe, 1000));
    await settle();
    expect(health.paths).toHaveLength(1);
    await clock.advance(500);
    expect(health.paths).toHaveLength(2);
    expect(again.every(w => w.end === undefined)).toBe(true);
  });

  it.each([
    { status: 500, unreachable: true },
    { status: 503, unreachable: true },
    { status: 429, unreachable: true },
    { status: 403, unreachable: false },
    { status: 401, unreachable: false },
    { status: 404, unreachable: false },
  ])("counts /readyz $status as unreachable: $unreachable", async ({ status, unreachable }) => {
    const { probe } = setup(status);
    waitOn(probe, 30_000);
    await settle();
    expect(probe.unreachable).toBe(unreachable);
  });

  it("gives up on a probe that hangs after its timeout, and probes again an interval later", async () => {
    const { health, clock, probe } = setup("hang");
    waitOn(probe, 30_000);
    await settle();
    await clock.advance(999);
    expect([probe.unreachable, health.abandoned]).toEqual([false, 0]);
    await clock.advance(1);
    expect([probe.unreachable, health.abandoned]).toEqual([true, 1]);
    await clock.advance(999);
    expect(health.paths).toHaveLength(1);
    await clock.advance(1);
    expect(health.paths).toHaveLength(2);
  });

  it("ends every wait when a request succeeds meanwhile, and stops probing", async () => {
    const { health, clock, probe } = setup("refused");
    const waiting = waitOn(probe, 30_000);
    await settle();
    expect(probe.unreachable).toBe(true);
    probe.answered();
    await settle();
    expect(waiting.end).toBe("recovered");
    await clock.advance(30_000);
    expect(health.paths).toHaveLength(1);
  });

  it("probes only while someone waits, and abandons a probe in flight when the last one leaves", async () => {
    const { health, clock, probe } = setup("refused");
    waitOn(probe, 2500);
    await settle();
    await clock.advance(2500);
    expect(health.paths).toHaveLength(3);
    await clock.advance(10_000);
    expect(health.paths).toHaveLength(3);
    health.answer = "hang";
    const stop = new AbortController();
    const stopped = waitOn(probe, 30_000, stop.signal);
    await settle();
    expect(health.paths).toHaveLength(4);
    stop.abort();
    await settle();
    expect([stopped.end, health.abandoned]).toEqual(["aborted", 1]);
    expect(clock.pending).toBe(0);
  });

  it("answers an aborted wait at once, without probing", async () => {
    const { health, probe } = setup("refused");
    const stop = new AbortController();
    stop.abort();
    expect(await probe.wait(1000, stop.signal)).toBe("aborted");
    expect(health.paths).toEqual([]);
  });
});
