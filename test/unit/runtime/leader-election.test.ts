/**
 * The Lease election state machine on a manual clock and an in-memory Lease with the API server's
 * concurrency rules: who leads, when a term starts and ends, and what the Lease says.
 */
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { KubeUnreachableError } from "../../../src/kube/errors.ts";
import type { LeaseApi, LeaseRecord } from "../../../src/kube/lease.ts";
import { microTime } from "../../../src/kube/lease.ts";
import {
  claimRecord,
  LeaderElector,
  releaseRecord,
  SoleReplica,
  untilAborted,
} from "../../../src/runtime/leader-election.ts";
import { ManualClock } from "../../support/manual-clock.ts";
import { FakeLeaseServer } from "./fake-lease.ts";

const T0 = 1_700_000_000_000;
const TIMING = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 };

interface Term {
  readonly start: number;
  end: number | undefined;
}

function held(holder: string, at: number, transitions = 0): LeaseRecord {
  return {
    holderIdentity: holder,
    leaseDurationSeconds: 15,
    acquireTime: microTime(at),
    renewTime: microTime(at),
    leaseTransitions: transitions,
  };
}

/** One replica: its elector running, the terms it led (local time), and a stop. */
function replica(
  server: FakeLeaseServer,
  clock: ManualClock,
  identity: string,
  random: () => number = () => 0,
  lease: LeaseApi = server.api(),
) {
  const elector = new LeaderElector({
    lease,
    identity,
    timing: TIMING,
    clock,
    random,
    logger: pino({ level: "silent" }),
  });
  const terms: Term[] = [];
  const changes: boolean[] = [];
  elector.subscribe(leading => changes.push(leading));
  const stopping = new AbortController();
  const done = elector.run(stopping.signal, async term => {
    const t: Term = { start: clock.now(), end: undefined };
    terms.push(t);
    await untilAborted(term);
    t.end = clock.now();
  });
  return {
    elector,
    terms,
    changes,
    stop: async () => {
      stopping.abort();
      await done;
    },
  };
}

describe("the records an elector writes", () => {
  it("renewing keeps acquireTime and transitions; taking over starts a term and counts one", () => {
    const mine = held("me", T0, 4);
    const claim = { identity: "me", now: T0 + 2000, leaseDurationSeconds: 15 };
    expect(claimRecord(mine, claim)).toEqual({
      ...mine,
      renewTime: "2023-11-14T22:13:22.000000Z",
    });
    expect(claimRecord(held("other", T0, 4), claim)).toEqual({
      holderIdentity: "me",
      leaseDurationSeconds: 15,
      acquireTime: "2023-11-14T22:13:22.000000Z",
      renewTime: "2023-11-14T22:13:22.000000Z",
      leaseTransitions: 5,
    });
    expect(claimRecord(undefined, claim).leaseTransitions).toBe(0);
  });

  it("a release clears the holder and shortens the Lease to a second", () => {
    expect(releaseRecord(held("me", T0, 2), T0 + 500)).toEqual({
      holderIdentity: "",
      leaseDurationSeconds: 1,
      acquireTime: "2023-11-14T22:13:20.500000Z",
      renewTime: "2023-11-14T22:13:20.500000Z",
      leaseTransitions: 2,
    });
  });
});

describe("acquiring the Lease", () => {
  // Attempts come every retry period (no jitter here): at 0, 2 s, 4 s, ...
  it.each([
    {
      name: "no Lease yet: created at once, no transition",
      initial: undefined,
      rival: false,
      leadsAfterMs: 0,
      transitions: 0,
    },
    {
      name: "a released Lease: taken at once, one transition more",
      initial: { ...held("", T0 - 60_000, 3), leaseDurationSeconds: 1 },
      rival: false,
      leadsAfterMs: 0,
      transitions: 4,
    },
    {
      name: "a Lease whose holder stopped renewing: taken once it has not changed for 15 s",
      initial: held("gone", T0 - 60_000, 1),
      rival: false,
      leadsAfterMs: 16_000,
      transitions: 2,
    },
    {
      name: "a Lease its holder keeps renewing: never taken",
      initial: held("rival", T0, 1),
      rival: true,
      leadsAfterMs: undefined,
      transitions: 1,
    },
  ])("$name", async ({ initial, rival, leadsAfterMs, transitions }) => {
    const clock = new ManualClock(T0);
    const server = new FakeLeaseServer(initial);
    const me = replica(server, clock, "me");
    await clock.advance(0);
    for (let t = 0; t <= 60_000; t += 500) {
      const expected = leadsAfterMs !== undefined && t >= leadsAfterMs;
      expect({ t, leading: me.elector.isLeader() }).toEqual({ t, leading: expected });
      // The rival renews between our attempts: a new renewTime each time.
      if (rival && t % 2000 === 1000)
        server.write({ ...held("rival", T0, 1), renewTime: microTime(T0 + t) });
      await clock.advance(500);
    }
    expect(server.record?.holderIdentity).toBe(rival ? "rival" : "me");
    expect(server.record?.leaseTransitions).toBe(transitions);
    if (leadsAfterMs !== undefined) {
      expect(me.terms).toEqual([{ start: T0 + leadsAfterMs, end: undefined }]);
      expect(server.record?.acquireTime).toBe(microTime(T0 + leadsAfterMs));
      expect(server.record?.leaseDurationSeconds).toBe(15);
    } else {
      expect(me.terms).toEqual([]);
    }
    await me.stop();
  });

  it("a 409 on the takeover (someone wrote first) is a lost race: the writer holds it", async () => {
    const clock = new ManualClock(T0);
    const server = new FakeLeaseServer({ ...held("", T0 - 60_000, 3), leaseDurationSeconds: 1 });
    server.beforeNextReplace = () => server.write(held("quicker", T0, 4));
    const me = replica(server, clock, "me");
    await clock.advance(0);
    expect(me.elector.isLeader()).toBe(false);
    expect(server.calls.map(c => c.op)).toEqual(["get", "replace"]);
    // The winner's record is new to us at 2 s, so it stands until 17 s even if never renewed.
    await clock.advance(16_000);
    expect(me.elector.isLeader()).toBe(false);
    await clock.advance(2_000);
    expect(me.elector.isLeader()).toBe(true);
    expect(server.record).toMatchObject({ holderIdentity: "me", leaseTransitions: 5 });
    await me.stop();
  });

  it("two replicas campaigning together: exactly one leads, the other never", async () => {
    const clock = new ManualClock(T0);
    const server = new FakeLeaseServer();
    let seed = 0.37;
    const random = (): number => (seed = (seed * 9301 + 49297) % 1);
    const a = replica(server, clock, "a", random);
    const b = replica(server, clock, "b", random);
    for (let t = 0; t <= 120_000; t += 250) {
      await clock.advance(250);
      expect(Number(a.elector.isLeader()) + Number(b.elector.isLeader())).toBe(1);
    }
    expect(a.terms.length + b.terms.length).toBe(1);
    await a.stop();
    await b.stop();
  });
});

describe("keeping the Lease", () => {
  it("renews every half renew deadline with one replace and no read", async () => {
    const clock = new ManualClock(T0);
    const server = new FakeLeaseServer();
    const me = replica(server, clock, "me");
    await clock.advance(10_000);
    // Renewals at 5 s and 10 s: 12 writes a minute, where client-go's every retry period makes 30.
    expect(server.calls.map(c => c.op)).toEqual(["get", "create", "replace", "replace"]);
    expect(server.record?.renewTime).toBe(microTime(T0 + 10_000));
    expect(server.record?.acquireTime).toBe(microTime(T0));
    await me.stop();
  });

  it.each([
    ["refuses connections", "unreachable"],
    ["accepts connections and never answers", "hang"],
  ] as const)(
    "an API server that %s: leads until retry period + renew deadline after its last renewal, then steps down, keeps running and campaigns again",
    async (_what, fault) => {
      const clock = new ManualClock(T0);
      const server = new FakeLeaseServer();
      const me = replica(server, clock, "me");
      await clock.advance(6_000); // renewed at 5 s
      server.fault = fault;
      // Renewals from 10 s on fail; the term ends 2 s + 10 s after the last renewal began (17 s),
      // the latest a client-go leader renewed then would step down.
      await clock.advance(10_999);
      expect(me.elector.isLeader()).toBe(true);
      await clock.advance(1);
      expect(me.elector.isLeader()).toBe(false);
      expect(me.terms).toEqual([{ start: T0, end: T0 + 17_000 }]);
      expect(me.changes).toEqual([true, false]);

      // Still campaigning: once the API server answers again, it leads again (the Lease still
      // names it), keeping its acquireTime.
      await clock.advance(30_000);
      expect(me.elector.isLeader()).toBe(false);
      server.fault = "none";
      // A hung attempt still waits out its own deadline (10 s) before the next one.
      await clock.advance(13_000);
      expect(me.elector.isLeader()).toBe(true);
      expect(me.terms).toHaveLength(2);
      expect(server.record).toMatchObject({ holderIdentity: "me", leaseTransitions: 0 });
      expect(server.record?.acquireTime).toBe(microTime(T0));
      await me.stop();
    },
  );

  it("an outage that ends before the step-down costs nothing: the retries every retry period renew", async () => {
    const clock = new ManualClock(T0);
    const server = new FakeLeaseServer();
    const me = replica(server, clock, "me");
    await clock.advance(5_500); // renewed at 5 s
    server.fault = "unreachable";
    await clock.advance(10_000); // attempts at 10, 12, 14 s fail
    server.fault = "none";
    await clock.advance(1_000); // the one at 16 s renews, a second before the step-down
    expect(me.elector.isLeader()).toBe(true);
    expect(server.record?.renewTime).toBe(microTime(T0 + 16_000));
    // The step-down now counts from 16 s: still leading long after the one the outage threatened.
    await clock.advance(14_000);
    expect(me.terms).toEqual([{ start: T0, end: undefined }]);
    await me.stop();
  });

  it("a renewal the API server applies at once but answers late counts from when it began", async () => {
    // The leader's renewal at 5 s is written at once, its answer comes late, and then the leader is
    // cut off. Followers saw the record change at about 5 s; the leader must count from then, not
    // from the answer, or it leads beside the follower that takes over.
    for (const answerAfterMs of [1_000, 3_000, 5_000, 6_900]) {
      const clock = new ManualClock(T0);
      const server = new FakeLeaseServer();
      const inner = server.api();
      let mode: "ok" | "slow" | "cut" = "ok";
      const cutOff = (): Promise<never> =>
        Promise.reject(new KubeUnreachableError("connection refused"));
      const lease: LeaseApi = {
        get: signal => (mode === "cut" ? cutOff() : inner.get(signal)),
        create: (record, signal) => inner.create(record, signal),
        replace: async (current, record, signal) => {
          if (mode === "cut") return cutOff();
          const written = await inner.replace(current, record, signal);
          if (mode === "slow") {
            mode = "cut";
            await clock.sleep(answerAfterMs, signal);
          }
          return written;
        },
      };
      const leader = replica(server, clock, "leader", () => 0, lease);
      await clock.advance(0);
      const follower = replica(server, clock, "follower", () => 0);
      for (let t = 0; t < 40_000; t += 100) {
        if (t === 4_900) mode = "slow";
        await clock.advance(100);
        const both = leader.elector.isLeader() && follower.elector.isLeader();
        expect({ answerAfterMs, t, both }).toEqual({ answerAfterMs, t, both: false });
      }
      expect(follower.elector.isLeader()).toBe(true);
      await leader.stop();
      await follower.stop();
    }
  });

  it("a leader that finds another holder in the Lease steps down at that renewal", async () => {
    const clock = new ManualClock(T0);
    const server = new FakeLeaseServer();
    const me = replica(server, clock, "me");
    await clock.advance(3_000);
    server.write(held("usurper", T0 + 3_000, 1));
    await clock.advance(2_000);
    expect(me.elector.isLeader()).toBe(false);
    expect(me.terms).toEqual([{ start: T0, end: T0 + 5_000 }]);
    expect(server.record?.holderIdentity).toBe("usurper");
    await me.stop();
  });

  it("a leader cut off from the API server steps down before a follower can take over, whenever the cut comes", async () => {
    // The follower reaches the API server throughout; the leader loses it at a varying moment
    // between two renewals, by refusals or by silence. At no step of 250 ms do both lead, and the
    // follower leads once the Lease has not changed for its duration.
    for (const fault of ["unreachable", "hang"] as const) {
      for (let cutAt = 5_000; cutAt < 10_000; cutAt += 250) {
        const clock = new ManualClock(T0);
        const server = new FakeLeaseServer();
        let cut = false;
        const leader = replica(
          server,
          clock,
          "leader",
          () => 0,
          server.api(() => (cut ? fault : "none")),
        );
        await clock.advance(0);
        const follower = replica(server, clock, "follower", () => 0.5);
        for (let t = 0; t < 40_000; t += 250) {
          if (t === cutAt) cut = true;
          await clock.advance(250);
          const both = leader.elector.isLeader() && follower.elector.isLeader();
          expect({ fault, cutAt, t, both }).toEqual({ fault, cutAt, t, both: false });
        }
        expect({ fault, cutAt, follower: follower.elector.isLeader() }).toEqual({
          fault,
          cutAt,
          follower: true,
        });
        const end = leader.terms[0]?.end ?? Infinity;
        const takeover = follower.terms[0]?.start ?? -Infinity;
        expect(end).toBeLessThanOrEqual(takeover - 3_000);
        cut = false;
        await leader.stop();
        await follower.stop();
      }
    }
  });
});

describe("releasing the Lease on stop", () => {
  it("clears the holder after the leader-only work has ended; a follower takes over within a retry period", async () => {
    const clock = new ManualClock(T0);
    const server = new FakeLeaseServer();
    const a = replica(server, clock, "a");
    const b = replica(server, clock, "b");
    await clock.advance(3_000);
    expect(a.elector.isLeader()).toBe(true);
    await a.stop();
    expect(a.terms).toEqual([{ start: T0, end: T0 + 3_000 }]);
    expect(server.record).toMatchObject({
      holderIdentity: "",
      leaseDurationSeconds: 1,
      leaseTransitions: 0,
    });
    // b's next attempt is at 4 s.
    await clock.advance(1_000);
    expect(b.elector.isLeader()).toBe(true);
    expect(server.record).toMatchObject({ holderIdentity: "b", leaseTransitions: 1 });
    await b.stop();
  });

  it("a stop during a renewal stops the leader-only work at once, lets the renewal end, then releases", async () => {
    const clock = new ManualClock(T0);
    const server = new FakeLeaseServer();
    const me = replica(server, clock, "me");
    await clock.advance(4_000);
    server.fault = "hang";
    await clock.advance(1_000); // the renewal at 5 s hangs
    const stopped = me.stop();
    await clock.advance(0);
    expect(me.terms).toEqual([{ start: T0, end: T0 + 5_000 }]);
    server.fault = "none";
    // Not aborted by the stop: the hung renewal ends at its own deadline, the step-down time 12 s
    // after the last renewal began (0 s).
    await clock.advance(6_999);
    expect(server.record?.holderIdentity).toBe("me");
    await clock.advance(1);
    await stopped;
    expect(server.record).toMatchObject({ holderIdentity: "", leaseDurationSeconds: 1 });
  });

  it("a follower that stops writes nothing", async () => {
    const clock = new ManualClock(T0);
    const server = new FakeLeaseServer(held("other", T0));
    const me = replica(server, clock, "me");
    await clock.advance(1_000);
    await me.stop();
    expect(server.calls.map(c => c.op)).toEqual(["get"]);
    expect(server.record?.holderIdentity).toBe("other");
  });

  it("a release the API server refuses does not keep the process from stopping", async () => {
    const clock = new ManualClock(T0);
    const server = new FakeLeaseServer();
    const me = replica(server, clock, "me");
    await clock.advance(1_000);
    server.fault = "unreachable";
    await me.stop();
    expect(server.record?.holderIdentity).toBe("me");
  });
});

describe("election switched off", () => {
  it("leads from start to stop", async () => {
    const sole = new SoleReplica();
    const stopping = new AbortController();
    let ran = false;
    const done = sole.run(stopping.signal, async term => {
      ran = true;
      await untilAborted(term);
    });
    expect(sole.isLeader()).toBe(true);
    stopping.abort();
    await done;
    expect(ran).toBe(true);
  });
});
