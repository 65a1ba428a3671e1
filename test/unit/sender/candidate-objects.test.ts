/**
 * A candidate's objects (the objects its config contains, keyed by `refKey`) built from the last map
 * when a translation patched a few results of the last one: always equal, entries and order, to a fresh
 * walk of its results. Translations come from the memoising translator over a real Store and
 * Snapshotter, as in the controller, so unchanged results really are the same objects.
 */
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { parseSupportedObject } from "../../../src/model/parse.ts";
import { candidateOf, CandidateRefs } from "../../../src/sender/last-known-good.ts";
import { Snapshotter } from "../../../src/store/snapshot.ts";
import { Store } from "../../../src/store/store.ts";
import { createTranslator, type TranslationResult } from "../../../src/translator/index.ts";

const OPTIONS = { ingressClass: "kong", clusterDomain: "" };

let rv = 1;
/** What the watch delivers: a raw object, stored kind by kind. */
function upsert(store: Store, raw: Record<string, unknown>): void {
  const metadata = raw["metadata"] as Record<string, unknown>;
  store.upsert(raw["kind"] as "Ingress", {
    ...raw,
    metadata: {
      ...metadata,
      uid: `uid-${String(metadata["name"])}`,
      resourceVersion: String(rv),
      // The API server moves it on every spec change; a candidate holds objects at their generation.
      generation: rv++,
      creationTimestamp: "2026-01-01T00:00:00Z",
    },
  });
}

function ingress(name: string, opts: { path?: string; service?: string } = {}) {
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "Ingress",
    metadata: { name, namespace: "shop" },
    spec: {
      ingressClassName: "kong",
      rules: [
        {
          host: `${name}.example.com`,
          http: {
            paths: [
              {
                path: opts.path ?? "/",
                pathType: "Prefix",
                backend: { service: { name: opts.service ?? name, port: { number: 80 } } },
              },
            ],
          },
        },
      ],
    },
  };
}

function cluster() {
  const store = new Store({
    ingressClass: "kong",
    parse: parseSupportedObject,
    logger: pino({ level: "silent" }),
  });
  upsert(store, {
    apiVersion: "networking.k8s.io/v1",
    kind: "IngressClass",
    metadata: { name: "kong" },
    spec: { controller: "ingress-controllers.konghq.com/kong" },
  });
  for (const name of ["a", "b", "c", "d"]) {
    upsert(store, {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name, namespace: "shop" },
      spec: { ports: [{ port: 80, targetPort: 8080 }] },
    });
    upsert(store, ingress(name));
  }
  const snapshots = new Snapshotter(store);
  const translator = createTranslator(OPTIONS);
  return { store, translate: (): TranslationResult => translator(snapshots.take()) };
}

/** What a fresh walk builds: a new CandidateRefs has no last map to start from. */
function fresh(result: TranslationResult): [string, unknown][] {
  return [...candidateOf(result, "primary", undefined, new CandidateRefs()).objects];
}

describe("CandidateRefs.objectsOf", () => {
  it.each([
    ["a path edited: its entry set anew", ingress("b", { path: "/v2" }), 1],
    ["a missing backend Service: held, then not, so walked", ingress("b", { service: "no" }), 2],
    ["another class: translated, then ignored, so walked", { ...ingress("b"), spec: {} }, 2],
  ])("equals a fresh walk after %s, and again once undone", (_name, edit, walksAfterEdit) => {
    const { store, translate } = cluster();
    const refs = new CandidateRefs();
    const objectsOf = (result: TranslationResult): [string, unknown][] => {
      const objects = [...candidateOf(result, "primary", undefined, refs).objects];
      expect(objects).toEqual(fresh(result));
      return objects;
    };
    const before = objectsOf(translate());
    upsert(store, edit);
    objectsOf(translate());
    expect(refs.walks).toBe(walksAfterEdit);
    upsert(store, ingress("b"));
    const keys = (objects: [string, unknown][]): string[] => objects.map(([key]) => key);
    expect(keys(objectsOf(translate()))).toEqual(keys(before));
  });

  it("walks afresh when an object is replaced by another in the same place (same count)", () => {
    const { store, translate } = cluster();
    const refs = new CandidateRefs();
    expect(candidateOf(translate(), "primary", undefined, refs).objects.size).toBe(8);
    store.remove("Ingress", { namespace: "shop", name: "b" });
    upsert(store, ingress("bb", { service: "b" }));
    const replaced = translate();
    expect([...candidateOf(replaced, "primary", undefined, refs).objects]).toEqual(fresh(replaced));
    expect(refs.walks).toBe(2);
  });

  it("leaves the maps of earlier candidates as they were", () => {
    const { store, translate } = cluster();
    const refs = new CandidateRefs();
    const first = candidateOf(translate(), "primary", undefined, refs);
    const before = [...first.objects];
    upsert(store, ingress("c", { path: "/other" }));
    const edited = candidateOf(translate(), "primary", undefined, refs);
    expect(edited.objects.size).toBe(first.objects.size);
    expect(refs.walks).toBe(1);
    expect([...first.objects]).toEqual(before);
  });
});

describe("CandidateRefs.changesOf", () => {
  it("names the keys a patched map set anew, and nothing for a walked or an older map", () => {
    const { store, translate } = cluster();
    const refs = new CandidateRefs();
    const first = candidateOf(translate(), "primary", undefined, refs).objects;
    expect(refs.changesOf(first)).toBeUndefined();
    upsert(store, ingress("c", { path: "/other" }));
    const edited = candidateOf(translate(), "primary", undefined, refs).objects;
    const changes = refs.changesOf(edited);
    expect(changes?.from).toBe(first);
    expect(changes?.keys).toEqual(["Ingress/shop/c"]);
    // Every other entry is the very same ref.
    for (const [key, ref] of edited)
      if (key !== "Ingress/shop/c") expect(ref, key).toBe(first.get(key));
    expect(edited.get("Ingress/shop/c")).not.toBe(first.get("Ingress/shop/c"));
    upsert(store, ingress("d", { path: "/again" }));
    const next = candidateOf(translate(), "primary", undefined, refs).objects;
    expect(refs.changesOf(next)?.from).toBe(edited);
    // Only the last step is known: status that saw `edited` can follow; one that saw `first` cannot.
    expect(refs.changesOf(edited)).toBeUndefined();
    upsert(store, ingress("b", { service: "no" }));
    const walked = candidateOf(translate(), "primary", undefined, refs).objects;
    expect(refs.walks).toBe(2);
    expect(refs.changesOf(walked)).toBeUndefined();
  });
});
