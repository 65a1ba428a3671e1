import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { KubeApiError, KubeUnreachableError } from "../../../src/kube/errors.ts";
import { INGRESS, INGRESS_CLASS, SECRET } from "../../../src/kube/kinds.ts";
import { Reflector, type ReflectorOptions } from "../../../src/kube/reflector.ts";
import {
  FakeKubeApi,
  ManualClock,
  RecordingSink,
  ScriptedGate,
  list,
  obj,
  settle,
} from "./fakes.ts";

const logger = pino({ level: "silent" });
const running: Reflector[] = [];

function setup(overrides: Partial<ReflectorOptions> = {}) {
  const api = new FakeKubeApi();
  const clock = new ManualClock();
  const sink = new RecordingSink();
  const reflector = new Reflector({
    api,
    clock,
    sink,
    logger,
    scope: { kind: INGRESS, namespace: undefined },
    random: () => 0,
    backoff: { initialMs: 100, maxMs: 1000, factor: 2, jitter: 0 },
    watchTimeoutSeconds: { min: 300, max: 600 },
    stallGraceMs: 60_000,
    healthyAfterMs: 10_000,
    ...overrides,
  });
  running.push(reflector);
  return { api, clock, sink, reflector };
}

afterEach(async () => {
  await Promise.all(running.splice(0).map(r => r.stop()));
});

const gone = { kind: "Status", code: 410, reason: "Expired", message: "too old resource version" };

describe("Reflector: list then watch", () => {
  it("lists every page, marks synced, then watches from the list's resourceVersion", async () => {
    const { api, sink, reflector } = setup({ pageSize: 2 });
    api.onList = ({ query }) =>
      query["continue"] === undefined
        ? list("10", [obj("a", "3"), obj("b", "4")], "token-1")
        : list("10", [obj("c", "5")]);
    reflector.start();
    await reflector.waitSynced();
    await settle();
    expect(api.lists.map(c => c.query)).toEqual([
      { limit: "2" },
      { limit: "2", continue: "token-1" },
    ]);
    expect(api.lists[0]?.path).toBe("/apis/networking.k8s.io/v1/ingresses");
    expect(sink.log).toEqual([
      "upsert Ingress ns/a@3",
      "upsert Ingress ns/b@4",
      "upsert Ingress ns/c@5",
    ]);
    // List items come without kind/apiVersion; the reflector adds them.
    expect(sink.held.get("ns/a")).toMatchObject({
      apiVersion: "networking.k8s.io/v1",
      kind: "Ingress",
    });
    expect(api.lastWatch.query).toEqual({
      resourceVersion: "10",
      allowWatchBookmarks: "true",
      timeoutSeconds: "300",
    });
    expect(reflector.health()).toMatchObject({
      synced: true,
      lists: 1,
      restarts: 0,
      resourceVersion: "10",
    });
  });

  it("applies each page as it arrives, and deletes what the complete list lacked only at its end", async () => {
    const { api, sink, reflector } = setup({ pageSize: 1 });
    sink.upsert("Ingress", obj("old", "1"));
    const seenBeforePage: string[][] = [];
    api.onList = ({ query }) => {
      seenBeforePage.push([...sink.log]);
      return query["continue"] === undefined
        ? list("10", [obj("a", "3")], "token-1")
        : list("10", [obj("b", "4")]);
    };
    reflector.start();
    await reflector.waitSynced();
    expect(seenBeforePage).toEqual([
      ["upsert Ingress ns/old@1"],
      ["upsert Ingress ns/old@1", "upsert Ingress ns/a@3"],
    ]);
    expect(sink.log.slice(2)).toEqual(["upsert Ingress ns/b@4", "remove Ingress ns/old"]);
  });

  it("deletes nothing and is not synced when a list fails after its first page", async () => {
    const { api, sink, reflector } = setup({ pageSize: 1 });
    sink.upsert("Ingress", obj("old", "1"));
    api.onList = ({ query }) => {
      if (query["continue"] !== undefined) throw new KubeUnreachableError("down");
      return list("10", [obj("a", "3")], "token-1");
    };
    reflector.start();
    await settle();
    expect(sink.log).toEqual(["upsert Ingress ns/old@1", "upsert Ingress ns/a@3"]);
    expect(reflector.hasSynced()).toBe(false);
  });

  it("lists and watches a metadata-only kind as PartialObjectMetadata, passing it on as such", async () => {
    const { api, sink, reflector } = setup({ scope: { kind: SECRET, namespace: undefined } });
    const partial = (name: string, rv: string) => ({
      apiVersion: "meta.k8s.io/v1",
      kind: "PartialObjectMetadata",
      metadata: { name, namespace: "ns", resourceVersion: rv, managedFields: [{}] },
    });
    api.onList = () => ({
      ...(list("10", [partial("a", "3")]) as object),
      kind: "PartialObjectMetadataList",
    });
    reflector.start();
    await reflector.waitSynced();
    await settle();
    api.lastWatch.push("MODIFIED", partial("a", "11"));
    await settle();
    expect(api.lists[0]?.accept).toBe(
      "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json",
    );
    expect(api.lastWatch.accept).toBe(
      "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json",
    );
    expect(sink.held.get("ns/a")).toEqual({
      apiVersion: "meta.k8s.io/v1",
      kind: "PartialObjectMetadata",
      metadata: { name: "a", namespace: "ns", resourceVersion: "11" },
    });
  });

  it.each([
    { form: "without items", body: { kind: "List", metadata: { resourceVersion: "1" } } },
    {
      form: "with null items (an empty PartialObjectMetadataList)",
      body: { kind: "PartialObjectMetadataList", metadata: { resourceVersion: "1" }, items: null },
    },
  ])("reaches synced on an empty list $form (incident a)", async ({ body }) => {
    const { api, reflector } = setup();
    api.onList = () => body;
    expect(reflector.hasSynced()).toBe(false);
    reflector.start();
    await reflector.waitSynced();
    expect(reflector.hasSynced()).toBe(true);
  });

  it("uses the namespaced path for a namespace scope", async () => {
    const { api, reflector } = setup({ scope: { kind: SECRET, namespace: "team-a" } });
    reflector.start();
    await reflector.waitSynced();
    await settle();
    expect(api.lists[0]?.path).toBe("/api/v1/namespaces/team-a/secrets");
    expect(api.lastWatch.path).toBe("/api/v1/namespaces/team-a/secrets");
  });

  it("randomizes the server-side watch timeout within the range", async () => {
    const { api, reflector } = setup({ random: () => 0.5 });
    reflector.start();
    await reflector.waitSynced();
    await settle();
    expect(api.lastWatch.query["timeoutSeconds"]).toBe("450");
  });
});

describe("Reflector: watch events", () => {
  it("applies ADDED, MODIFIED and DELETED, tracks bookmarks, and deletes by name only", async () => {
    const { api, sink, reflector } = setup();
    reflector.start();
    await reflector.waitSynced();
    await settle();
    const w = api.lastWatch;
    w.push("ADDED", obj("a", "2"));
    w.push("MODIFIED", obj("a", "3"));
    w.push("BOOKMARK", { kind: "Ingress", metadata: { resourceVersion: "7" } });
    // A delete event's payload may be a stub; the sink resolves it against its own copy.
    w.push("DELETED", { metadata: { name: "a", namespace: "ns", resourceVersion: "8" } });
    await settle();
    expect(sink.log).toEqual([
      "upsert Ingress ns/a@2",
      "upsert Ingress ns/a@3",
      "remove Ingress ns/a",
    ]);
    expect(reflector.health().resourceVersion).toBe("8");
    expect(reflector.health().lastEventAt).toBeDefined();
  });

  it("re-watches from the last resourceVersion after a clean close, without relisting", async () => {
    const { api, clock, reflector } = setup();
    reflector.start();
    await reflector.waitSynced();
    await settle();
    api.lastWatch.push("BOOKMARK", { metadata: { resourceVersion: "5" } });
    api.lastWatch.end();
    await settle();
    expect(api.watches).toHaveLength(2);
    expect(api.lastWatch.query["resourceVersion"]).toBe("5");
    expect(api.lists).toHaveLength(1);
    expect(clock.sleeps.filter(ms => ms < 300_000)).toEqual([]);
  });

  it("backs off when the server keeps closing empty watches at once", async () => {
    const { api, clock, reflector } = setup();
    reflector.start();
    await reflector.waitSynced();
    await settle();
    api.lastWatch.end();
    await settle();
    expect(api.watches).toHaveLength(1);
    await clock.advance(100);
    expect(api.watches).toHaveLength(2);
    expect(api.lists).toHaveLength(1);
  });

  it("relists on a 410 ERROR event and deletes what the new list lacks (REQ-E2)", async () => {
    const { api, sink, reflector } = setup();
    api.onList = () => list("10", [obj("a", "1"), obj("b", "2")]);
    reflector.start();
    await reflector.waitSynced();
    await settle();
    api.onList = () => list("20", [obj("b", "2"), obj("c", "9")]);
    api.lastWatch.push("ERROR", gone);
    await settle();
    expect(api.lists).toHaveLength(2);
    expect(sink.log.slice(2)).toEqual([
      "upsert Ingress ns/b@2",
      "upsert Ingress ns/c@9",
      "remove Ingress ns/a",
    ]);
    expect(api.lastWatch.query["resourceVersion"]).toBe("20");
    expect(reflector.health().restarts).toBe(0);
  });

  it("relists at once when the watch request itself answers 410", async () => {
    const { api, clock, reflector } = setup();
    let refused = false;
    api.onWatch = () => {
      if (refused) return;
      refused = true;
      throw new KubeApiError(410, { reason: "Gone", message: "too old" });
    };
    reflector.start();
    await reflector.waitSynced();
    await settle();
    expect(api.lists).toHaveLength(2);
    expect(api.watches).toHaveLength(1);
    expect(clock.sleeps.filter(ms => ms < 300_000)).toEqual([]);
  });

  it("resumes from where it was after a non-410 ERROR event, without relisting", async () => {
    const { api, clock, reflector } = setup();
    reflector.start();
    await reflector.waitSynced();
    await settle();
    api.lastWatch.push("MODIFIED", obj("a", "5"));
    api.lastWatch.push("ERROR", {
      kind: "Status",
      code: 500,
      reason: "InternalError",
      message: "boom",
    });
    await settle();
    expect(reflector.health().lastError).toMatchObject({ code: "ERR_KUBE_API", message: "boom" });
    await clock.advance(100);
    expect(api.lists).toHaveLength(1);
    expect(api.watches).toHaveLength(2);
    expect(api.lastWatch.query["resourceVersion"]).toBe("5");
    expect(reflector.health()).toMatchObject({ restarts: 1, lastError: undefined });
  });
});

describe("Reflector: failures", () => {
  it("retries a failing initial list with capped exponential backoff, then syncs", async () => {
    const { api, clock, reflector } = setup();
    let failures = 5;
    api.onList = () => {
      if (failures-- > 0) throw new KubeUnreachableError("connection refused");
      return list("3", []);
    };
    reflector.start();
    await settle();
    for (const delay of [100, 200, 400, 800, 1000]) {
      expect(reflector.hasSynced()).toBe(false);
      await clock.advance(delay);
    }
    expect(reflector.hasSynced()).toBe(true);
    expect(clock.sleeps.filter(ms => ms < 300_000)).toEqual([100, 200, 400, 800, 1000]);
    expect(reflector.health()).toMatchObject({ restarts: 5, lastError: undefined });
  });

  it("resumes a broken watch from the last resourceVersion it delivered, without relisting", async () => {
    const { api, clock, sink, reflector } = setup();
    api.onList = () => list("1", [obj("a", "1")]);
    reflector.start();
    await reflector.waitSynced();
    await settle();
    api.lastWatch.push("ADDED", obj("b", "2"));
    api.lastWatch.push("BOOKMARK", { metadata: { resourceVersion: "3" } });
    api.lastWatch.fail(new KubeUnreachableError("socket hang up"));
    await settle();
    expect(reflector.health().lastError?.code).toBe("ERR_KUBE_UNREACHABLE");
    await clock.advance(100);
    expect(api.watches.map(w => w.query["resourceVersion"])).toEqual(["1", "3"]);
    expect(api.lists).toHaveLength(1);
    expect([...sink.held.keys()].sort()).toEqual(["ns/a", "ns/b"]);
    expect(reflector.health()).toMatchObject({ restarts: 1, lists: 1, lastError: undefined });
  });

  it("backs off while the watch is refused, and starts afresh once it is accepted", async () => {
    const { api, clock, reflector } = setup();
    let refusals = 0;
    reflector.start();
    await reflector.waitSynced();
    await settle();
    api.onWatch = () => {
      if (refusals-- > 0) throw new KubeUnreachableError("connection refused");
    };
    refusals = 3;
    api.lastWatch.fail(new KubeUnreachableError("socket hang up"));
    for (const delay of [100, 200, 400, 800]) await clock.advance(delay);
    expect(api.watches).toHaveLength(2);
    refusals = 1;
    api.lastWatch.fail(new KubeUnreachableError("socket hang up"));
    await clock.advance(100);
    await clock.advance(200);
    expect(clock.sleeps.filter(ms => ms < 300_000)).toEqual([100, 200, 400, 800, 100, 200]);
    expect(api.lists).toHaveLength(1);
  });

  it("keeps its backoff at the start on a flapping link, however quiet the kind (no event between cuts)", async () => {
    const { api, clock, reflector } = setup();
    reflector.start();
    await reflector.waitSynced();
    await settle();
    for (let cut = 0; cut < 6; cut++) {
      // Each watch is accepted, stays silent for a few seconds, and is cut.
      await clock.advance(3000);
      api.lastWatch.fail(new KubeUnreachableError("socket hang up"));
      await clock.advance(100);
    }
    expect(clock.sleeps.filter(ms => ms < 300_000 && ms !== 3000)).toEqual([
      100, 100, 100, 100, 100, 100,
    ]);
    expect(api.watches).toHaveLength(7);
    expect(api.lists).toHaveLength(1);
  });

  it("retries at once, with its backoff started afresh, when the gate says the API server is back", async () => {
    const gate = new ScriptedGate();
    const { api, reflector } = setup({ gate });
    let failure: Error | undefined = new KubeUnreachableError("connection refused");
    api.onList = () => {
      if (failure !== undefined) throw failure;
      return list("7", []);
    };
    reflector.start();
    await settle();
    gate.end("elapsed");
    await settle();
    gate.end("elapsed");
    await settle();
    expect(gate.waits).toEqual([100, 200, 400]);
    // Back, but still warming up: the next delay starts from the beginning.
    failure = new KubeApiError(429, { reason: "TooManyRequests", message: "initializing" });
    gate.end("recovered");
    await settle();
    expect(gate.waits).toEqual([100, 200, 400, 100]);
    failure = undefined;
    gate.end("elapsed");
    await reflector.waitSynced();
    await settle();
    expect(api.lists).toHaveLength(5);
    // The list and the accepted watch each told the gate that the API server answers.
    expect(gate.successes).toBe(2);
  });

  it("presumes a silent watch dead after its timeout plus grace, and restarts it", async () => {
    const { api, clock, reflector } = setup();
    reflector.start();
    await reflector.waitSynced();
    await settle();
    const first = api.lastWatch;
    await clock.advance(300_000 + 59_999);
    expect(first.aborted).toBe(false);
    await clock.advance(1);
    expect(first.aborted).toBe(true);
    expect(reflector.health().lastError?.code).toBe("ERR_KUBE_WATCH_STALLED");
    await clock.advance(100);
    expect(api.watches).toHaveLength(2);
  });

  it("counts events, restarts and sync through the observer", async () => {
    const seen: string[] = [];
    const { api, clock, reflector } = setup({
      scope: { kind: INGRESS_CLASS, namespace: undefined },
      observer: {
        onEvent: (kind, type) => seen.push(`event ${kind} ${type}`),
        onRestart: (kind, reason) => seen.push(`restart ${kind} ${reason}`),
        onSynced: kind => seen.push(`synced ${kind}`),
      },
    });
    reflector.start();
    await reflector.waitSynced();
    await settle();
    api.lastWatch.push("ADDED", obj("kong", "2", ""));
    api.lastWatch.fail(new KubeUnreachableError("reset"));
    await clock.advance(100);
    expect(seen).toEqual([
      "synced IngressClass",
      "event IngressClass ADDED",
      "restart IngressClass ERR_KUBE_UNREACHABLE",
    ]);
  });
});

describe("Reflector: recovery", () => {
  it("tells the observer when a failure is over, by a served list or by a watch accepted again", async () => {
    const recovered: string[] = [];
    const { api, clock, reflector } = setup({
      observer: { onRecovered: kind => recovered.push(kind) },
    });
    let listFails = true;
    api.onList = () => {
      if (listFails) throw new KubeUnreachableError("connection refused");
      return list("1", []);
    };
    reflector.start();
    await settle();
    listFails = false;
    await clock.advance(100);
    expect(recovered).toEqual(["Ingress"]);
    api.lastWatch.fail(new KubeUnreachableError("socket hang up"));
    await settle();
    expect(reflector.health().lastError).toBeDefined();
    await clock.advance(100);
    expect(recovered).toEqual(["Ingress", "Ingress"]);
    expect(api.lists).toHaveLength(2);
    expect(reflector.health().lastError).toBeUndefined();
  });
});

describe("Reflector: stop", () => {
  it("stops a running watch without recording an error or restarting", async () => {
    const { api, reflector } = setup();
    reflector.start();
    await reflector.waitSynced();
    await settle();
    await reflector.stop();
    expect(api.lastWatch.aborted).toBe(true);
    await settle();
    expect(api.watches).toHaveLength(1);
    expect(reflector.health()).toMatchObject({ restarts: 0, lastError: undefined });
  });

  it("stops during a backoff wait", async () => {
    const { api, clock, reflector } = setup();
    api.onList = () => {
      throw new KubeUnreachableError("down");
    };
    reflector.start();
    await settle();
    expect(clock.pending).toBe(1);
    await reflector.stop();
    expect(clock.pending).toBe(0);
    expect(api.lists).toHaveLength(1);
  });

  it("stops during the initial list, and start after stop does nothing", async () => {
    const { api, reflector } = setup();
    let release: () => void = () => undefined;
    api.onList = () =>
      new Promise(
        resolve =>
          (release = () => {
            resolve(list("1", []));
          }),
      );
    reflector.start();
    await settle();
    const stopping = reflector.stop();
    release();
    await stopping;
    reflector.start();
    await settle();
    expect(reflector.hasSynced()).toBe(false);
    expect(api.watches).toHaveLength(0);
    expect(reflector.health().restarts).toBe(0);
  });
});
