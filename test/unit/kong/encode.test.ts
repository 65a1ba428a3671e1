/**
 * ConfigEncoder against encodeConfig on configs built by the translator: large enough that the md5 is
 * resumed from saved states in the middle of the body, with changes at the start, middle and end, and
 * random sequences of changes coming through a real Store and Snapshotter (adds, edits, deletes, moves
 * to another place in the body, and a config of a few steps back encoded again, as a fallback is).
 */
import { createHash } from "node:crypto";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import type { WatchedKind } from "../../../src/kube/kinds.ts";
import { ConfigEncoder, encodeConfig, type EncodedConfig } from "../../../src/kong/admin-client.ts";
import type { KongConfig } from "../../../src/kong/types.ts";
import type { Ingress, KubeObject, Service } from "../../../src/model/k8s.ts";
import { parseSupportedObject } from "../../../src/model/parse.ts";
import { buildSnapshot } from "../../../src/model/snapshot.ts";
import { Snapshotter } from "../../../src/store/snapshot.ts";
import { Store } from "../../../src/store/store.ts";
import { createTranslator, DEFAULT_TRANSLATE_OPTIONS } from "../../../src/translator/index.ts";
import { seededRandom } from "../../support/seeded-random.ts";

/** An Ingress routing `path` on its own host to the Service of its name, port 80. */
function appIngress(metadata: Ingress["metadata"], path: string): Ingress {
  const { name } = metadata;
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "Ingress",
    metadata,
    spec: {
      ingressClassName: "kong",
      rules: [
        {
          host: `${name}.example.com`,
          http: {
            paths: [
              {
                path,
                pathType: "Prefix",
                backend: { service: { name, port: { number: 80 } } },
              },
            ],
          },
        },
      ],
    },
  };
}

function app(i: number, path = "/"): KubeObject[] {
  const name = `app-${String(i).padStart(4, "0")}`;
  const service: Service = {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name, namespace: "shop", uid: `u-s-${name}` },
    spec: { ports: [{ port: 80, protocol: "TCP" }] },
  };
  return [service, appIngress({ name, namespace: "shop", uid: `u-i-${name}` }, path)];
}

/** The bytes and hash of a fresh encoding (compared as one buffer: element by element is slow). */
function expectFresh(encoded: EncodedConfig, config: KongConfig, label: string): void {
  const fresh = encodeConfig(config);
  expect(encoded.hash, label).toBe(fresh.hash);
  expect(encoded.bytes, label).toBe(fresh.bytes);
  expect(Buffer.concat(encoded.chunks ?? []).equals(Buffer.concat(fresh.chunks ?? [])), label).toBe(
    true,
  );
}

/** What is sent is the body's UTF-8 bytes, and its md5 is the hash Kong will report. */
function expectSelfConsistent(encoded: EncodedConfig): void {
  const body = encoded.body;
  expect(Buffer.concat(encoded.chunks ?? []).equals(Buffer.from(body, "utf8"))).toBe(true);
  expect(encoded.bytes).toBe(Buffer.byteLength(body));
  expect(encoded.hash).toBe(createHash("md5").update(body).digest("hex"));
}

/**
 * Apps (a Service, its EndpointSlice and an Ingress) changed at random, as the watch hands them over.
 * Names are random, so an added app lands anywhere in the body, and a renamed one moves there. Some
 * apps carry a plugin whose config is not ASCII, so copied bytes include multi-byte characters.
 */
function cluster(random: () => number) {
  const store = new Store({
    ingressClass: "kong",
    parse: parseSupportedObject,
    logger: pino({ level: "silent" }),
  });
  const names: string[] = [];
  let rv = 1;
  const upsert = (kind: WatchedKind, raw: unknown): void => {
    store.upsert(kind, raw);
  };
  const meta = (name: string, extra: object = {}) => ({
    name,
    namespace: "shop",
    uid: `uid-${name}`,
    resourceVersion: String(rv++),
    ...extra,
  });
  const freshName = (): string => `app-${Math.floor(random() * 1e6).toString(36)}`;
  const put = (name: string): void => {
    upsert("Service", {
      apiVersion: "v1",
      kind: "Service",
      metadata: meta(
        name,
        random() < 0.2 ? { annotations: { "konghq.com/plugins": "hello" } } : {},
      ),
      spec: { ports: [{ name: "http", port: 80, protocol: "TCP", targetPort: 8080 }] },
    });
    upsert("EndpointSlice", {
      apiVersion: "discovery.k8s.io/v1",
      kind: "EndpointSlice",
      metadata: meta(`${name}-1`, { labels: { "kubernetes.io/service-name": name } }),
      addressType: "IPv4",
      ports: [{ name: "http", port: 8080, protocol: "TCP" }],
      endpoints: [{ addresses: [`10.0.0.${1 + Math.floor(random() * 200)}`] }],
    });
    upsert("Ingress", appIngress(meta(name), `/${Math.floor(random() * 1000)}`));
  };
  const drop = (name: string): void => {
    store.remove("Ingress", { namespace: "shop", name });
    store.remove("EndpointSlice", { namespace: "shop", name: `${name}-1` });
    store.remove("Service", { namespace: "shop", name });
  };
  upsert("KongPlugin", {
    apiVersion: "configuration.konghq.com/v1",
    kind: "KongPlugin",
    metadata: meta("hello"),
    plugin: "request-termination",
    config: { status_code: 200, message: "grüße, 世界 ✓" },
  });
  const pickIndex = (): number => Math.floor(random() * names.length);
  return {
    snapshots: new Snapshotter(store),
    add(): void {
      const name = freshName();
      names.push(name);
      put(name);
    },
    edit(): void {
      const name = names[pickIndex()];
      if (name !== undefined) put(name);
    },
    delete(): void {
      const [name] = names.splice(pickIndex(), 1);
      if (name !== undefined) drop(name);
    },
    move(): void {
      const i = pickIndex();
      const name = names[i];
      if (name === undefined) return;
      drop(name);
      names[i] = freshName();
      put(names[i]);
    },
  };
}

describe("ConfigEncoder", () => {
  it.each([1, 2, 3, 4])(
    "gives encodeConfig's bytes after random adds, edits, deletes and moves (seed %i)",
    seed => {
      const random = seededRandom(seed);
      const apps = cluster(random);
      for (let i = 0; i < 250; i++) apps.add();
      const translate = createTranslator(DEFAULT_TRANSLATE_OPTIONS);
      const encoder = new ConfigEncoder();
      const older: KongConfig[] = [];
      let multiByte = false;
      for (let step = 0; step < 40; step++) {
        // One to three changes per translation, as a debounced burst brings them.
        for (let n = 1 + Math.floor(random() * 3); n > 0; n--) {
          const roll = random();
          if (roll < 0.4) apps.edit();
          else if (roll < 0.6) apps.add();
          else if (roll < 0.8) apps.delete();
          else apps.move();
        }
        const { config } = translate(apps.snapshots.take());
        const encoded = encoder.encode(config);
        expectFresh(encoded, config, `step ${step}`);
        expectSelfConsistent(encoded);
        multiByte ||= encoded.bytes > encoded.body.length;
        // Equal configs give the same bytes: the blocks are kept, nothing is built or hashed again.
        const again = encoder.encode(config);
        expect(again.hash).toBe(encoded.hash);
        expect(again.chunks?.every((chunk, i) => chunk === encoded.chunks?.[i])).toBe(true);
        older.push(config);
        if (step % 7 === 6) {
          // A config of some steps back, then the newest again: as a fallback between two pushes.
          const back = older[Math.floor(random() * older.length)] ?? config;
          expectFresh(encoder.encode(back), back, `step ${step} back`);
          expectFresh(encoder.encode(config), config, `step ${step} newest`);
        }
      }
      expect(multiByte).toBe(true);
    },
  );

  it("gives encodeConfig's bytes and hash after changes anywhere in a large body", () => {
    const apps = Array.from({ length: 600 }, (_, i) => app(i));
    const translate = createTranslator(DEFAULT_TRANSLATE_OPTIONS);
    const encoder = new ConfigEncoder();
    const check = (): void => {
      const { config } = translate(buildSnapshot(apps.flat()));
      const encoded = encoder.encode(config);
      expect(encoded).toEqual(encodeConfig(config));
      expectSelfConsistent(encoded);
    };
    check();
    for (const [step, i] of [599, 0, 300, 257, 256, 255, 128, 599, 599].entries()) {
      apps[i] = app(i, `/v${step}`);
      check();
    }
    // Entities lost or added at the very end only.
    apps.pop();
    check();
    apps.splice(-40, 40);
    check();
    apps.push(app(2000));
    check();
    // Fewer entities, then more again.
    apps.splice(400, 150);
    check();
    apps.push(...Array.from({ length: 200 }, (_, i) => app(1000 + i)));
    check();
    check();
  });
});
