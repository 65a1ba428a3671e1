import { describe, expect, it } from "vitest";
import { ReadinessTracker } from "../../../src/telemetry/readiness.ts";

describe("ReadinessTracker", () => {
  it("is not ready before anything happened, and says why", () => {
    const t = new ReadinessTracker({ watchedKinds: ["Service", "Ingress"] });
    expect(t.report()).toEqual({
      ready: false,
      reasons: [
        "watch of Ingress has not synced",
        "watch of Service has not synced",
        "no config has reached Kong yet",
      ],
    });
  });

  it.each([
    [["Ingress", "Service"], true, true],
    [["Ingress"], true, false],
    [["Ingress", "Service"], false, false],
    [[], true, false],
  ])("synced %j, config applied %s → ready %s", (synced, applied, ready) => {
    const t = new ReadinessTracker({ watchedKinds: ["Ingress", "Service"] });
    for (const kind of synced) t.watcherSynced(kind);
    if (applied) t.configApplied();
    expect(t.report().ready).toBe(ready);
  });

  it("does not wait for a config in Kong when this replica is not the one that pushes (incident a)", () => {
    let pushes = false;
    const t = new ReadinessTracker({ watchedKinds: ["Ingress"], configRequired: () => pushes });
    expect(t.report().reasons).toEqual(["watch of Ingress has not synced"]);
    t.watcherSynced("Ingress");
    expect(t.report()).toEqual({ ready: true, reasons: [] });
    // Asked on every report: a replica that becomes the pusher waits for its first config.
    pushes = true;
    expect(t.report()).toEqual({ ready: false, reasons: ["no config has reached Kong yet"] });
    t.configApplied();
    expect(t.report().ready).toBe(true);
  });

  it("stays ready once ready", () => {
    const t = new ReadinessTracker({ watchedKinds: ["Ingress"] });
    t.watcherSynced("Ingress");
    t.configApplied();
    t.watcherSynced("Ingress");
    expect(t.report()).toEqual({ ready: true, reasons: [] });
  });

  it("waits for the optional kinds to be known when asked to, and only then", () => {
    const t = new ReadinessTracker({ watchedKinds: ["Ingress"], awaitDiscovery: true });
    t.watcherSynced("Ingress");
    t.configApplied();
    expect(t.report()).toEqual({
      ready: false,
      reasons: ["the optional kinds served are not known yet"],
    });
    t.kindsDiscovered();
    expect(t.report()).toEqual({ ready: true, reasons: [] });
  });
});
