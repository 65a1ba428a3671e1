import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { Registry } from "prom-client";
import { afterAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../../src/config/load.ts";
import {
  createElection,
  electionIdentity,
  electionNamespace,
  pushGateOf,
} from "../../../src/runtime/election-setup.ts";
import {
  LeaderElector,
  SoleReplica,
  type Leadership,
} from "../../../src/runtime/leader-election.ts";
import { createMetrics } from "../../../src/telemetry/metrics.ts";
import { ReadinessTracker } from "../../../src/telemetry/readiness.ts";
import { FakeKubeApi } from "../kube/fakes.ts";
import { ManualClock } from "../../support/manual-clock.ts";

const dir = mkdtempSync(join(tmpdir(), "kongress-election-"));
/** A pod's service-account mount, holding its namespace. */
const inPod = join(dir, "serviceaccount");
mkdirSync(inPod);
writeFileSync(join(inPod, "namespace"), "mounted\n");
const outside = join(dir, "nowhere");
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function config(argv: string[] = []) {
  return loadConfig({ argv: ["--publish-status-address=10.0.0.1", ...argv], env: {} });
}

describe("the Lease's namespace", () => {
  it.each<[string, string[], Record<string, string>, boolean, string | undefined]>([
    [
      "--election-namespace wins",
      ["--election-namespace=flag"],
      { POD_NAMESPACE: "env" },
      true,
      "flag",
    ],
    ["then $POD_NAMESPACE", [], { POD_NAMESPACE: "env" }, true, "env"],
    ["then the pod's service-account namespace", [], {}, true, "mounted"],
    ["a blank $POD_NAMESPACE does not count", [], { POD_NAMESPACE: " " }, true, "mounted"],
    ["outside a pod and unset: none", [], {}, false, undefined],
  ])("%s", (_what, argv, env, mounted, expected) => {
    expect(electionNamespace(config(argv), env, mounted ? inPod : outside)).toBe(expected);
  });
});

describe("the identity", () => {
  it("is the pod's name and a random part, unique per process", () => {
    const a = electionIdentity({ POD_NAME: "kong-7d9f" });
    const b = electionIdentity({ POD_NAME: "kong-7d9f" });
    expect(a).toMatch(/^kong-7d9f_[0-9a-f-]{36}$/);
    expect(a).not.toBe(b);
    expect(electionIdentity({})).toMatch(/^.+_[0-9a-f-]{36}$/);
  });
});

describe("createElection", () => {
  const base = (argv: string[], env: Record<string, string>) => {
    const registry = new Registry();
    const election = createElection({
      config: config(argv),
      env,
      api: new FakeKubeApi(),
      metrics: createMetrics({ registry }),
      clock: new ManualClock(),
      random: () => 0,
      logger: pino({ level: "silent" }),
      serviceAccountDir: outside,
    });
    return { election, registry };
  };

  it("elects on the Lease by default, reporting 0 until it leads", async () => {
    const { election, registry } = base([], { POD_NAMESPACE: "kong" });
    expect(election).toBeInstanceOf(LeaderElector);
    expect(election.isLeader()).toBe(false);
    expect(await registry.getSingleMetricAsString("leader_election_master_status")).toContain(
      'leader_election_master_status{name="5b374a9e.konghq.com"} 0',
    );
  });

  it("is a sole replica with --force-leader-election=disabled, needing no namespace", async () => {
    const { election, registry } = base(["--force-leader-election=disabled"], {});
    expect(election).toBeInstanceOf(SoleReplica);
    expect(await registry.getSingleMetricAsString("leader_election_master_status")).toContain(
      'leader_election_master_status{name="5b374a9e.konghq.com"} 1',
    );
  });

  it("refuses to guess a namespace", () => {
    expect(() => base([], {})).toThrow(/--election-namespace/);
  });
});

/** A Leadership the test hands over and takes back. */
class Baton implements Leadership {
  #leading = false;
  readonly #listeners = new Set<(leading: boolean) => void>();
  isLeader(): boolean {
    return this.#leading;
  }
  subscribe(listener: (leading: boolean) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
  set(leading: boolean): void {
    this.#leading = leading;
    for (const l of this.#listeners) l(leading);
  }
}

describe("who pushes, and whether readiness waits for Kong", () => {
  it.each<[string, string[], boolean, boolean]>([
    // [case, flags, pushes while following, readiness waits for Kong while following]
    ["own Kongs (--kong-admin-url)", ["--kong-admin-url=http://k:8001"], true, true],
    ["shared Kongs (--kong-admin-svc)", ["--kong-admin-svc=kong/kong-admin"], false, false],
  ])("%s", (_case, argv, pushesFollowing, waitsFollowing) => {
    const cfg = config(argv);
    const baton = new Baton();
    const gate = pushGateOf(cfg, baton);
    // As the controller wires it: readiness waits for Kong only while the gate lets this replica push.
    const tracker = new ReadinessTracker({
      watchedKinds: [],
      configRequired: () => gate.allowed(),
    });
    const required = (): boolean => !tracker.report().ready;
    const told: boolean[] = [];
    gate.subscribe(() => told.push(gate.allowed()));
    expect([gate.allowed(), required()]).toEqual([pushesFollowing, waitsFollowing]);
    baton.set(true);
    expect([gate.allowed(), required()]).toEqual([true, true]);
    baton.set(false);
    expect([gate.allowed(), required()]).toEqual([pushesFollowing, waitsFollowing]);
    // Only a gate that follows leadership tells the sender about a change.
    expect(told).toEqual(pushesFollowing ? [] : [true, false]);
  });
});
