import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { appliedReport } from "../../../src/runtime/applied-status.ts";
import { candidateFromDump, candidateOf } from "../../../src/sender/last-known-good.ts";
import type { Candidate } from "../../../src/sender/last-known-good.ts";
import { KongStatusPublisher, kongStatusMutator } from "../../../src/status/kong-status.ts";
import type { DesiredStatus, KongDesiredStatus } from "../../../src/status/mutator.ts";
import { stringify } from "yaml";
import { clusterSnapshot, ing, svc, translate } from "../sender/cluster.ts";
import { NOW, NOW_TEXT, observedOf, T0 } from "./gateway-api-fixtures.ts";

const logger = pino({ level: "silent" });
const PLUGIN_KEY = "KongPlugin/shop/auth";

function plugin(generation: number) {
  return {
    apiVersion: "configuration.konghq.com/v1",
    kind: "KongPlugin",
    metadata: {
      name: "auth",
      namespace: "shop",
      uid: "00000000-0000-4000-8000-00000000a001",
      resourceVersion: String(generation),
      generation,
    },
    plugin: "key-auth",
  };
}

/** The cluster with the plugin at `generation`, attached to an Ingress, as the translator sees it. */
function translated(generation: number) {
  const ingress = ing("shop", "api", ["web"]);
  const annotated = {
    ...ingress,
    metadata: { ...ingress.metadata, annotations: { "konghq.com/plugins": "auth" } },
  };
  return translate(clusterSnapshot([svc("shop", "web"), annotated, plugin(generation)]));
}

/** What the Kong status publisher desires for the plugin once Kong runs `candidate`. */
function desiredWhenKongRuns(candidate: Candidate, latest = translated(2)): KongDesiredStatus {
  const report = appliedReport({
    view: {
      gateways: [{ url: "http://kong:8001", phase: "synced", since: 0, config: "primary" }],
      acceptedObjects: candidate.objects,
      rejectedObjects: [],
    },
    latest,
    degradedSinceRejection: false,
  });
  if (report === undefined) throw new Error("no report");
  const desired = new Map<string, DesiredStatus>();
  const publisher = new KongStatusPublisher({
    statuses: {
      desire: d => {
        desired.set(`${d.kind}/${d.namespace}/${d.name}`, d);
      },
      release: () => undefined,
    },
    updateStatus: true,
    logger,
  });
  publisher.onConfigApplied(report);
  const found = desired.get(PLUGIN_KEY);
  if (found?.kind !== "KongPlugin") throw new Error(`${PLUGIN_KEY} not desired`);
  return found;
}

const programmed = (observedGeneration?: number) => ({
  type: "Programmed",
  status: "True",
  reason: "Programmed",
  message: "Object was successfully configured in Kong.",
  ...(observedGeneration === undefined ? {} : { observedGeneration }),
});

describe("kong-status Programmed", () => {
  it("reports the generation translated into the config Kong runs, not the newer one the watch shows", () => {
    const desired = desiredWhenKongRuns(candidateOf(translated(2), "primary"));
    expect(desired.generation).toBe(2);
    // The plugin was edited meanwhile: the watch shows generation 3, Kong still runs 2.
    const observed = observedOf(plugin(3), undefined);
    expect(observed.generation).toBe(3);
    expect(kongStatusMutator.patch(desired, observed, NOW)).toMatchObject({
      status: { conditions: [{ ...programmed(2), lastTransitionTime: NOW_TEXT }] },
    });
    expect(kongStatusMutator.satisfied(desired, observed)).toBe(false);
  });

  it("never regresses a status written for a newer generation", () => {
    const desired = desiredWhenKongRuns(candidateOf(translated(2), "primary"));
    const observed = observedOf(plugin(3), {
      conditions: [{ ...programmed(3), lastTransitionTime: T0 }],
    });
    expect(kongStatusMutator.satisfied(desired, observed)).toBe(true);
  });

  it("claims no generation from a config read back from Kong, keeping one an unchanged condition had", () => {
    const result = translated(2);
    const dump = stringify(result.config);
    const fromKong = candidateFromDump(dump, "0123456789abcdef0123456789abcdef");
    if (fromKong === undefined) throw new Error("the dump does not parse");
    const desired = desiredWhenKongRuns(fromKong, result);
    expect(desired.generation).toBeUndefined();

    const unchanged = observedOf(plugin(3), {
      conditions: [{ ...programmed(2), lastTransitionTime: T0 }],
    });
    expect(kongStatusMutator.satisfied(desired, unchanged)).toBe(true);

    const invalid = {
      ...programmed(1),
      status: "False",
      reason: "Invalid",
      lastTransitionTime: T0,
    };
    const changed = observedOf(plugin(3), { conditions: [invalid] });
    expect(kongStatusMutator.patch(desired, changed, NOW)).toMatchObject({
      status: { conditions: [{ ...programmed(), lastTransitionTime: NOW_TEXT }] },
    });
    const patch = kongStatusMutator.patch(desired, changed, NOW) as {
      status: { conditions: object[] };
    };
    expect(patch.status.conditions[0]).not.toHaveProperty("observedGeneration");
  });
});
