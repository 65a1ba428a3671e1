import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import {
  AggregatedDiscovery,
  CrdBundleVersions,
  discoverKinds,
} from "../../../src/kube/discovery.ts";
import { KubeApiError, KubeProtocolError, KubeUnreachableError } from "../../../src/kube/errors.ts";
import { BUNDLE_REREAD_PASSES, OptionalKindWatchers } from "../../../src/kube/optional-kinds.ts";
import { KubeWatchers } from "../../../src/kube/watchers.ts";
import { KIND_DEFINITIONS } from "../../../src/model/kinds.ts";
import { GATEWAY_KINDS_AT_V1 } from "../../support/kube/crds.ts";
import {
  FakeKubeApi,
  list,
  ManualClock,
  RecordingSink,
  ScriptedGate,
  settle,
  type DocumentCall,
  type ListCall,
} from "./fakes.ts";
import type { KubeDocument } from "../../../src/kube/client.ts";

const logger = pino({ level: "silent" });
const GROUP = "gateway.networking.k8s.io";
const optionalKinds = KIND_DEFINITIONS.filter(def => def.optional);

const notFound = (): never => {
  throw new KubeApiError(404, { reason: "NotFound", message: "the server could not find it" });
};

/** Discovery documents of an API server serving `served` (version → plurals) of the Gateway group. */
function discoveryAnswer(served: Record<string, string[]>) {
  return (call: ListCall): unknown => {
    if (call.path === `/apis/${GROUP}`)
      return Object.keys(served).length === 0
        ? notFound()
        : { versions: Object.keys(served).map(version => ({ version })) };
    const rest = call.path.slice(`/apis/${GROUP}/`.length);
    const isVersionDocument = call.path.startsWith(`/apis/${GROUP}/`) && !rest.includes("/");
    if (isVersionDocument)
      return served[rest] === undefined
        ? notFound()
        : { resources: served[rest].flatMap(name => [{ name }, { name: `${name}/status` }]) };
    return list("1", []);
  };
}

const V1_6 = {
  v1: ["gatewayclasses", "gateways", "httproutes", "grpcroutes", "referencegrants"].concat([
    "tcproutes",
    "udproutes",
    "tlsroutes",
  ]),
  v1beta1: ["gatewayclasses", "gateways", "httproutes", "referencegrants"],
};
const V1_4_EXPERIMENTAL = {
  v1: ["gatewayclasses", "gateways", "httproutes", "grpcroutes"],
  v1beta1: ["gatewayclasses", "gateways", "httproutes", "referencegrants"],
  v1alpha2: ["tcproutes", "udproutes", "tlsroutes"],
  v1alpha3: ["tlsroutes"],
};

/** What discovery finds for an API server serving these versions and plurals of the Gateway group. */
const DISCOVERY_CASES: [string, Record<string, string[]>, Record<string, string | undefined>][] = [
  ["a current standard bundle: everything at v1", V1_6, GATEWAY_KINDS_AT_V1],
  [
    "an older experimental bundle: the newest version each kind is served at",
    V1_4_EXPERIMENTAL,
    {
      GatewayClass: "v1",
      Gateway: "v1",
      HTTPRoute: "v1",
      GRPCRoute: "v1",
      TCPRoute: "v1alpha2",
      UDPRoute: "v1alpha2",
      TLSRoute: "v1alpha3",
      ReferenceGrant: "v1beta1",
    },
  ],
  [
    "only HTTPRoute's group version without TCPRoute: TCPRoute off",
    { v1: ["gateways", "httproutes"] },
    {
      GatewayClass: undefined,
      Gateway: "v1",
      HTTPRoute: "v1",
      GRPCRoute: undefined,
      TCPRoute: undefined,
      UDPRoute: undefined,
      TLSRoute: undefined,
      ReferenceGrant: undefined,
    },
  ],
  [
    "no Gateway API at all (404 on the group)",
    {},
    Object.fromEntries(optionalKinds.map(k => [k.kind, undefined])),
  ],
];

/** The aggregated discovery document of an API server serving `served` of the Gateway group. */
function aggregatedDocument(served: Record<string, string[]>): unknown {
  const versions = Object.entries(served).map(([version, plurals]) => ({
    version,
    resources: plurals.map(resource => ({ resource, subresources: [{ subresource: "status" }] })),
    freshness: "Current",
  }));
  return {
    kind: "APIGroupDiscoveryList",
    apiVersion: "apidiscovery.k8s.io/v2",
    items: [
      { metadata: { name: "networking.k8s.io" }, versions: [{ version: "v1", resources: [] }] },
      ...(versions.length === 0 ? [] : [{ metadata: { name: GROUP }, versions }]),
    ],
  };
}

const AGGREGATED_TYPE = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";

/** An answer typed as the aggregated document, with `body` whatever the server sent. */
function aggregatedBody(body: unknown): KubeDocument {
  return { notModified: false, body, etag: '"bad"', contentType: AGGREGATED_TYPE };
}

/** An API server with aggregated discovery serving `served`, tagged `etag`; 304 for that tag. */
function aggregatedAnswer(current: () => { served: Record<string, string[]>; etag: string }) {
  return (call: DocumentCall) => {
    const { served, etag } = current();
    if (call.path !== "/apis") throw new Error(`unexpected document ${call.path}`);
    if (call.etag === etag) return { notModified: true as const };
    return {
      notModified: false as const,
      body: aggregatedDocument(served),
      etag,
      contentType: AGGREGATED_TYPE,
    };
  };
}

describe("discoverKinds with the aggregated discovery document", () => {
  it.each(DISCOVERY_CASES)("%s", async (_what, served, expected) => {
    const api = new FakeKubeApi();
    api.onDocument = aggregatedAnswer(() => ({ served, etag: '"e1"' }));
    const aggregated = new AggregatedDiscovery(logger);
    const signal = new AbortController().signal;
    const found = await discoverKinds(api, optionalKinds, signal, aggregated);
    expect(Object.fromEntries(found)).toEqual(expected);
    // The same kinds from the per-group documents.
    const perGroup = new FakeKubeApi();
    perGroup.onList = discoveryAnswer(served);
    expect(Object.fromEntries(await discoverKinds(perGroup, optionalKinds, signal))).toEqual(
      expected,
    );
    expect(api.documents.map(d => d.path)).toEqual(["/apis"]);
    expect(api.lists).toEqual([]);
  });

  it("asks again with the entity tag: an unchanged document costs one 304, a changed one is read", async () => {
    const api = new FakeKubeApi();
    let server = { served: V1_4_EXPERIMENTAL as Record<string, string[]>, etag: '"e1"' };
    api.onDocument = aggregatedAnswer(() => server);
    const aggregated = new AggregatedDiscovery(logger);
    const signal = new AbortController().signal;
    const first = await discoverKinds(api, optionalKinds, signal, aggregated);
    const second = await discoverKinds(api, optionalKinds, signal, aggregated);
    expect(second).toEqual(first);
    expect(first.get("TCPRoute")).toBe("v1alpha2");
    server = { served: V1_6, etag: '"e2"' };
    const third = await discoverKinds(api, optionalKinds, signal, aggregated);
    expect(third.get("TCPRoute")).toBe("v1");
    expect(api.documents.map(d => d.etag)).toEqual([undefined, '"e1"', '"e1"']);
    expect(api.lists).toEqual([]);
  });

  it("an API server without it answers the plain group list: asked once, then the per-group documents", async () => {
    const api = new FakeKubeApi();
    api.onList = discoveryAnswer(V1_6);
    const aggregated = new AggregatedDiscovery(logger);
    const signal = new AbortController().signal;
    for (let round = 0; round < 3; round++) {
      const found = await discoverKinds(api, optionalKinds, signal, aggregated);
      expect(found.get("TCPRoute")).toBe("v1");
    }
    expect(api.documents.filter(d => d.path === "/apis")).toHaveLength(1);
    expect(api.lists.filter(l => l.path === `/apis/${GROUP}`)).toHaveLength(3);
  });

  /** An `APIGroupDiscoveryList` with these items, as sent (or mangled) under the document's type. */
  const listOf = (items: unknown) => aggregatedBody({ kind: "APIGroupDiscoveryList", items });

  // What a proxy or a broken server may send instead of the document; each is answered by the
  // per-group documents for that round, and the next round asks for the whole document again.
  const MALFORMED: [string, () => KubeDocument][] = [
    [
      "a body that is not JSON",
      () => {
        throw new KubeProtocolError("GET /apis returned a body that is not JSON");
      },
    ],
    ["an empty object", () => aggregatedBody({})],
    ["a Status under the document's type", () => aggregatedBody({ kind: "Status", code: 500 })],
    ["a list as the body", () => aggregatedBody([])],
    ["items that are not a list", () => listOf({ gateways: true })],
    ["a group without a name", () => listOf([{ metadata: {}, versions: [] }])],
    ["versions that are not a list", () => listOf([{ metadata: { name: GROUP }, versions: "v1" }])],
    [
      "a resource without its name",
      () => listOf([{ metadata: { name: GROUP }, versions: [{ version: "v1", resources: [{}] }] }]),
    ],
  ];

  it.each(MALFORMED)(
    "%s: the per-group documents answer, and the document read before is forgotten",
    async (_what, answer) => {
      const api = new FakeKubeApi();
      api.onList = discoveryAnswer(V1_6);
      const good = aggregatedAnswer(() => ({ served: V1_4_EXPERIMENTAL, etag: '"e1"' }));
      let malformed = false;
      api.onDocument = call => (malformed ? answer() : good(call));
      const aggregated = new AggregatedDiscovery(logger);
      const signal = new AbortController().signal;
      expect((await discoverKinds(api, optionalKinds, signal, aggregated)).get("TCPRoute")).toBe(
        "v1alpha2",
      );
      malformed = true;
      const during = await discoverKinds(api, optionalKinds, signal, aggregated);
      expect(during.get("TCPRoute")).toBe("v1");
      expect(during.get("HTTPRoute")).toBe("v1");
      expect(api.lists.filter(l => l.path === `/apis/${GROUP}`)).toHaveLength(1);
      malformed = false;
      const after = await discoverKinds(api, optionalKinds, signal, aggregated);
      expect(after.get("TCPRoute")).toBe("v1alpha2");
      // The round after asks in full: a 304 against the old tag would bring the old document back.
      expect(api.documents.map(d => d.etag)).toEqual([undefined, '"e1"', undefined]);
      expect(api.lists.filter(l => l.path === `/apis/${GROUP}`)).toHaveLength(1);
    },
  );

  it("reads lists the API server leaves out as empty: no versions, no resources, no items", async () => {
    const answers: [string, unknown, Record<string, string | undefined>][] = [
      [
        "a group without versions, a version without resources",
        [
          { metadata: { name: "networking.k8s.io" } },
          {
            metadata: { name: GROUP },
            versions: [
              { version: "v1", resources: [{ resource: "httproutes" }] },
              { version: "v1alpha2", freshness: "Stale" },
            ],
          },
        ],
        { HTTPRoute: "v1", TCPRoute: undefined },
      ],
      ["no items", null, { HTTPRoute: undefined, TCPRoute: undefined }],
    ];
    for (const [what, items, expected] of answers) {
      const api = new FakeKubeApi();
      api.onDocument = () => listOf(items);
      const found = await discoverKinds(
        api,
        optionalKinds,
        new AbortController().signal,
        new AggregatedDiscovery(logger),
      );
      expect({ what, HTTPRoute: found.get("HTTPRoute"), TCPRoute: found.get("TCPRoute") }).toEqual({
        what,
        ...expected,
      });
      expect(api.lists).toEqual([]);
    }
  });

  it("says once that the document is unreadable, and again only after a readable one", async () => {
    const lines: string[] = [];
    const recording = pino({ level: "warn" }, { write: (line: string) => lines.push(line) });
    const api = new FakeKubeApi();
    api.onList = discoveryAnswer(V1_6);
    const good = aggregatedAnswer(() => ({ served: V1_6, etag: '"e1"' }));
    const rounds = [false, true, true, false, true];
    let round = 0;
    api.onDocument = call => ((rounds[round] ?? false) ? aggregatedBody({}) : good(call));
    const aggregated = new AggregatedDiscovery(recording);
    const signal = new AbortController().signal;
    for (; round < rounds.length; round++)
      await discoverKinds(api, optionalKinds, signal, aggregated);
    expect(lines.map(l => (JSON.parse(l) as { msg: string }).msg)).toEqual([
      "The aggregated discovery document is unreadable; asking the API groups one by one",
      "The aggregated discovery document is unreadable; asking the API groups one by one",
    ]);
  });

  it("rejects when the API server cannot say, rather than guessing nothing is served", async () => {
    const api = new FakeKubeApi();
    const err = new KubeUnreachableError("connection refused");
    api.onDocument = () => {
      throw err;
    };
    await expect(
      discoverKinds(
        api,
        optionalKinds,
        new AbortController().signal,
        new AggregatedDiscovery(logger),
      ),
    ).rejects.toBe(err);
  });
});

describe("discoverKinds", () => {
  it.each(DISCOVERY_CASES)("%s", async (_what, served, expected) => {
    const api = new FakeKubeApi();
    api.onList = discoveryAnswer(served);
    const found = await discoverKinds(api, optionalKinds, new AbortController().signal);
    expect(Object.fromEntries(found)).toEqual(expected);
  });

  it("asks each discovery document once, and the groups at the same time", async () => {
    const api = new FakeKubeApi();
    const answer = discoveryAnswer(V1_4_EXPERIMENTAL);
    const held: (() => void)[] = [];
    api.onList = call =>
      new Promise(resolve => {
        held.push(() => {
          resolve(answer(call));
        });
      });
    const found = discoverKinds(api, optionalKinds, new AbortController().signal);
    await settle();
    const groups = new Set(optionalKinds.map(k => `/apis/${k.group}`));
    expect(new Set(api.lists.map(l => l.path))).toEqual(groups);
    while (held.length > 0) {
      for (const release of held.splice(0)) release();
      await settle();
    }
    await found;
    const paths = api.lists.map(l => l.path);
    expect(paths.sort()).toEqual(
      [
        ...groups,
        ...["v1", "v1beta1", "v1alpha2", "v1alpha3"].map(v => `/apis/${GROUP}/${v}`),
      ].sort(),
    );
  });

  const failures: [string, Error][] = [
    ["unreachable", new KubeUnreachableError("connection refused")],
    ["forbidden", new KubeApiError(403, { reason: "Forbidden", message: "no" })],
    ["failing", new KubeApiError(503, { reason: "ServiceUnavailable", message: "later" })],
  ];
  it.each(failures)(
    "rejects when the API server is %s, rather than guessing nothing is served",
    async (_w, err) => {
      const api = new FakeKubeApi();
      api.onList = () => {
        throw err;
      };
      await expect(discoverKinds(api, optionalKinds, new AbortController().signal)).rejects.toBe(
        err,
      );
    },
  );
});

describe("OptionalKindWatchers", () => {
  const running: OptionalKindWatchers[] = [];
  afterEach(async () => {
    await Promise.all(running.splice(0).map(o => o.stop()));
  });

  function setUp(
    served: { current: Record<string, string[]> },
    gate?: ScriptedGate,
    bundles?: { readonly bundles: CrdBundleVersions; readonly onBundlesChanged: () => void },
  ) {
    const api = new FakeKubeApi();
    const answer = (call: ListCall): unknown => discoveryAnswer(served.current)(call);
    api.onList = answer;
    const clock = new ManualClock();
    const sink = new RecordingSink();
    const optional = new OptionalKindWatchers({
      api,
      kinds: optionalKinds,
      sink,
      clock,
      logger,
      intervalMs: 10_000,
      retryMs: 1_000,
      ...(gate === undefined ? {} : { gate }),
      ...bundles,
      newWatchers: kind =>
        new KubeWatchers({
          ...{ api, sink, clock, logger, random: () => 0.5, kinds: [kind] },
          watchNamespaces: [],
        }),
    });
    running.push(optional);
    return { api, clock, sink, optional };
  }

  it("watches nothing and waits for nothing when no CRD is installed", async () => {
    const { api, optional } = setUp({ current: {} });
    optional.start();
    await optional.waitSynced(new AbortController().signal);
    expect(optional.hasDiscovered()).toBe(true);
    expect([...optional.served().values()].every(v => v === undefined)).toBe(true);
    expect(api.watches).toEqual([]);
  });

  it("starts a kind when its CRD appears and drops its objects when it goes", async () => {
    const served = { current: {} as Record<string, string[]> };
    const { api, clock, sink, optional } = setUp(served);
    optional.start();
    await optional.waitSynced(new AbortController().signal);

    served.current = { v1: ["httproutes"] };
    const route = {
      metadata: { name: "r", namespace: "apps", resourceVersion: "5", uid: "u" },
    };
    api.onList = call =>
      call.path === `/apis/${GROUP}/v1/httproutes`
        ? list("5", [route])
        : discoveryAnswer(served.current)(call);
    await clock.advance(10_000);
    await settle();
    expect(optional.served().get("HTTPRoute")).toBe("v1");
    expect(api.lists.map(l => l.path)).toContain(`/apis/${GROUP}/v1/httproutes`);
    expect(sink.log).toContain("upsert HTTPRoute apps/r@5");

    served.current = {};
    api.onList = discoveryAnswer(served.current);
    await optional.refresh();
    expect(optional.served().get("HTTPRoute")).toBeUndefined();
    expect(sink.log.at(-1)).toBe("remove HTTPRoute apps/r");
  });

  it("reads the CRD bundle versions when the served kinds change and every 6th discovery, telling when they change", async () => {
    const bundles = new CrdBundleVersions();
    let changes = 0;
    const served = { current: { v1: ["gateways"] } };
    const { api, clock, optional } = setUp(served, undefined, {
      bundles,
      onBundlesChanged: () => changes++,
    });
    let version = "v1.6.1";
    const crdPrefix = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/";
    const crdReads = (): string[] =>
      api.lists.filter(l => l.path.startsWith(crdPrefix)).map(l => l.path.slice(crdPrefix.length));
    api.onList = call =>
      call.path.startsWith(crdPrefix)
        ? { metadata: { annotations: { "gateway.networking.k8s.io/bundle-version": version } } }
        : discoveryAnswer(served.current)(call);
    optional.start();
    await optional.waitSynced(new AbortController().signal);
    await settle();
    expect(bundles.current()).toEqual({
      state: "known",
      versions: new Map([[`gateways.${GROUP}`, "v1.6.1"]]),
    });
    expect([changes, crdReads().length]).toEqual([1, 1]);
    // An upgrade that keeps the served kinds is seen on the slow refresh, not on every discovery.
    version = "v1.7.0";
    for (let pass = 2; pass <= BUNDLE_REREAD_PASSES; pass++) {
      await clock.advance(10_000);
      await settle();
    }
    expect([changes, crdReads().length]).toEqual([1, 1]);
    await clock.advance(10_000);
    await settle();
    expect(bundles.current()).toMatchObject({
      versions: new Map([[`gateways.${GROUP}`, "v1.7.0"]]),
    });
    expect([changes, crdReads().length]).toEqual([2, 2]);
    // A kind that starts being served has its CRD read at once, with the others.
    served.current = { v1: ["gateways", "httproutes"] };
    await clock.advance(10_000);
    await settle();
    expect(crdReads().slice(2).sort()).toEqual([`gateways.${GROUP}`, `httproutes.${GROUP}`]);
    expect(changes).toBe(3);
    await clock.advance(10_000);
    await settle();
    expect(crdReads()).toHaveLength(4);
  });

  it("reads the CRDs in parallel, and tells the first discovery only with their versions", async () => {
    const bundles = new CrdBundleVersions();
    const served = { current: { v1: ["gateways", "httproutes", "grpcroutes"] } };
    const { api, optional } = setUp(served, undefined, { bundles, onBundlesChanged: () => 0 });
    const crdPrefix = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/";
    const pending: (() => void)[] = [];
    api.onList = call =>
      call.path.startsWith(crdPrefix)
        ? new Promise(resolve => {
            pending.push(() => {
              resolve({ metadata: {} });
            });
          })
        : discoveryAnswer(served.current)(call);
    optional.start();
    await settle();
    // All three asked before any answered; the first translation must not see "unknown" versions.
    expect(pending).toHaveLength(3);
    expect(optional.hasDiscovered()).toBe(false);
    for (const answer of pending) answer();
    await optional.waitSynced(new AbortController().signal);
    expect(optional.hasDiscovered()).toBe(true);
    expect(bundles.current()).toMatchObject({ state: "known" });
  });

  it("reads the CRDs again on the next discovery after a failed read", async () => {
    const bundles = new CrdBundleVersions();
    const served = { current: { v1: ["gateways"] } };
    const { api, clock, optional } = setUp(served, undefined, {
      bundles,
      onBundlesChanged: () => 0,
    });
    const crdPrefix = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/";
    let crdAnswer: () => unknown = () => {
      throw new KubeApiError(403, { reason: "Forbidden", message: "cannot get resource" });
    };
    api.onList = call =>
      call.path.startsWith(crdPrefix) ? crdAnswer() : discoveryAnswer(served.current)(call);
    optional.start();
    await optional.waitSynced(new AbortController().signal);
    expect(bundles.current()).toMatchObject({ state: "unknown" });
    crdAnswer = () => ({ metadata: {} });
    await clock.advance(10_000);
    await settle();
    expect(bundles.current()).toMatchObject({ state: "known" });
    const reads = api.lists.filter(l => l.path.startsWith(crdPrefix)).length;
    expect(reads).toBe(2);
    await clock.advance(10_000);
    await settle();
    expect(api.lists.filter(l => l.path.startsWith(crdPrefix))).toHaveLength(reads);
  });

  it("keeps what it knew while the API server cannot say, and retries sooner", async () => {
    const served = { current: { v1: ["gateways"] } as Record<string, string[]> };
    const { api, clock, optional } = setUp(served);
    optional.start();
    await optional.waitSynced(new AbortController().signal);
    expect(optional.served().get("Gateway")).toBe("v1");

    api.onList = () => {
      throw new KubeUnreachableError("connection refused");
    };
    await clock.advance(10_000);
    await settle();
    expect(optional.served().get("Gateway")).toBe("v1");

    const asked = api.lists.length;
    api.onList = discoveryAnswer({});
    await clock.advance(1_000);
    await settle();
    expect(api.lists.length).toBeGreaterThan(asked);
    expect(optional.served().get("Gateway")).toBeUndefined();
  });

  it("retries a failed discovery at once when the gate says the API server is back", async () => {
    const gate = new ScriptedGate();
    const { api, optional } = setUp({ current: {} }, gate);
    api.onList = () => {
      throw new KubeUnreachableError("connection refused");
    };
    optional.start();
    await settle();
    gate.end("elapsed");
    await settle();
    gate.end("elapsed");
    await settle();
    expect(gate.waits).toEqual([1_000, 2_000, 4_000]);
    api.onList = discoveryAnswer({ v1: ["gateways"] });
    gate.end("recovered");
    await settle();
    expect(optional.hasDiscovered()).toBe(true);
    expect(gate.successes).toBe(1);
  });

  it("is not synced before discovery has answered once", async () => {
    const { api, clock, optional } = setUp({ current: {} });
    api.onList = () => {
      throw new KubeUnreachableError("connection refused");
    };
    optional.start();
    await settle();
    expect(optional.hasDiscovered()).toBe(false);
    api.onList = discoveryAnswer({ v1: ["gateways"] });
    await clock.advance(1_000);
    await settle();
    expect(optional.hasDiscovered()).toBe(true);
    expect(optional.served().get("Gateway")).toBe("v1");
  });
});
