/**
 * The revisit timer (pipeline/revisit.ts): it wakes at the instant a translation named, in steps no
 * longer than a day, and moves its version once per revisit; and with the sync cycle, a certificate
 * crossing into its expiry warning and out of its validity is reported with nothing in the store changed.
 */
import { pino } from "pino";
import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { parseSupportedObject } from "../../../src/model/parse.ts";
import type { KindName } from "../../../src/model/kinds.ts";
import { SyncCycle } from "../../../src/pipeline/cycle.ts";
import { MAX_REVISIT_SLEEP_MS, RevisitTimer } from "../../../src/pipeline/revisit.ts";
import type { EventRequest } from "../../../src/status/events.ts";
import { ProblemEvents } from "../../../src/status/problem-events.ts";
import { Snapshotter } from "../../../src/store/snapshot.ts";
import { Store } from "../../../src/store/store.ts";
import { createMetrics } from "../../../src/telemetry/metrics.ts";
import { CERTIFICATE_EXPIRY_WARNING_DAYS } from "../../../src/translator/certificate-dates.ts";
import { createTranslator, DEFAULT_TRANSLATE_OPTIONS } from "../../../src/translator/index.ts";
import { ManualClock } from "../../support/manual-clock.ts";
import {
  goldenSecret,
  ingress,
  ingressClass,
  rule,
  service,
  type Raw,
} from "../translator/store-snapshot.ts";

const DAY = 86_400_000;

function timer(start = 0) {
  const clock = new ManualClock(start);
  let due = 0;
  const revisit = new RevisitTimer({ clock, onDue: () => due++ });
  return { clock, revisit, due: () => due };
}

describe("RevisitTimer", () => {
  it("wakes at the instant, reached in steps of at most a day", async () => {
    const t = timer();
    t.revisit.schedule(2.5 * DAY);
    expect(t.clock.pendingDelays()).toEqual([MAX_REVISIT_SLEEP_MS]);
    await t.clock.advance(2.5 * DAY - 1);
    expect([t.revisit.version, t.due()]).toEqual([0, 0]);
    await t.clock.advance(1);
    expect([t.revisit.version, t.due()]).toEqual([1, 1]);
    expect(t.clock.sleeps).toEqual([DAY, DAY, 0.5 * DAY]);
    expect(t.revisit.pendingAt).toBeUndefined();
    expect(t.clock.pending).toBe(0);
  });

  it("an instant already past is due at once", async () => {
    const t = timer(10 * DAY);
    t.revisit.schedule(DAY);
    await t.clock.advance(0);
    expect(t.due()).toBe(1);
  });

  it("the newest translation's instant replaces the one waited for; the same one keeps its sleep", async () => {
    const t = timer();
    t.revisit.schedule(5 * DAY);
    t.revisit.schedule(5 * DAY);
    expect(t.clock.sleeps).toHaveLength(1);
    t.revisit.schedule(DAY / 2);
    await t.clock.advance(DAY / 2);
    expect(t.due()).toBe(1);
    t.revisit.schedule(DAY);
    t.revisit.schedule(undefined);
    await t.clock.advance(10 * DAY);
    expect(t.due()).toBe(1);
    expect(t.clock.pending).toBe(0);
  });

  it("after close, nothing is waited for and nothing is scheduled", async () => {
    const t = timer();
    t.revisit.schedule(DAY);
    t.revisit.close();
    t.revisit.schedule(2 * DAY);
    await t.clock.advance(3 * DAY);
    expect([t.due(), t.clock.pending]).toEqual([0, 0]);
  });
});

// The golden test certificate ends at 2126-10-29T09:15:40Z.
const NOT_AFTER = Date.parse("2126-10-29T09:15:40Z");
const WARNING_FROM = NOT_AFTER - CERTIFICATE_EXPIRY_WARNING_DAYS * DAY;

function storeOf(objects: readonly Raw[]): Store {
  const store = new Store({
    ingressClass: "kong",
    parse: parseSupportedObject,
    logger: pino({ level: "silent" }),
  });
  store.onSecretNeeded(() => undefined);
  for (const raw of objects) store.upsert(raw.kind as KindName, raw);
  for (const raw of objects) if (raw.kind === "Secret") store.fillSecret(raw);
  return store;
}

describe("RevisitTimer with the sync cycle", () => {
  it("reports a certificate entering its warning and expiring, with the store unchanged", async () => {
    const clock = new ManualClock(WARNING_FROM - DAY);
    const events: EventRequest[] = [];
    const store = storeOf([
      ingressClass(),
      service("web"),
      goldenSecret("tls-basic", "shop-tls", "shop-tls"),
      ingress("shop", {
        tls: [{ hosts: ["shop.example.com"], secretName: "shop-tls" }],
        rules: [rule("shop.example.com", [{ path: "/" }])],
      }),
    ]);
    let translations = 0;
    const translator = createTranslator({ ...DEFAULT_TRANSLATE_OPTIONS, now: () => clock.now() });
    // The sync loop stands in as `onDue`: a due revisit runs a cycle.
    const revisit = new RevisitTimer({
      clock,
      onDue: () => {
        cycle.run();
      },
    });
    const cycle: SyncCycle = new SyncCycle({
      snapshots: new Snapshotter(store),
      translate: snapshot => {
        translations++;
        return translator(snapshot);
      },
      send: () => undefined,
      events: new ProblemEvents({ recorder: { record: r => events.push(r) }, clock }),
      metrics: createMetrics({ registry: new Registry() }),
      clock,
      logger: pino({ level: "silent" }),
      onTranslated: ({ result }) => {
        revisit.schedule(result.revisitAt);
      },
      inputsVersion: () => revisit.version,
    });
    const reasons = () => events.map(e => `${e.ref.kind} ${e.ref.name}: ${e.message}`);

    cycle.run();
    cycle.run();
    expect([translations, events]).toEqual([1, []]);
    expect(revisit.pendingAt).toBe(WARNING_FROM);

    await clock.advance(DAY);
    expect(translations).toBe(2);
    expect(reasons()).toEqual([
      "Ingress shop: TLS Secret shop/shop-tls: its certificate expires at 2126-10-29T09:15:40Z, in less than 14 days; renew it",
    ]);
    expect(revisit.pendingAt).toBe(NOT_AFTER + 1);

    await clock.advance(CERTIFICATE_EXPIRY_WARNING_DAYS * DAY + 1);
    expect(translations).toBe(3);
    expect(reasons()[1]).toBe(
      "Ingress shop: TLS Secret shop/shop-tls: its certificate expired at 2126-10-29T09:15:40Z; Kong still serves it, and clients refuse it",
    );
    expect(revisit.pendingAt).toBeUndefined();
    revisit.close();
  });
});
