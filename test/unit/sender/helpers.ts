/**
 * Test doubles for the sender: a small translator over Services and Ingresses, snapshot builders, and a
 * Kong Admin API mocked with undici's MockAgent whose answers follow a tiny in-memory model of a node.
 */
import { createHash } from "node:crypto";
import type { MockAgent } from "undici";
import { pino, type Logger } from "pino";
import { AdminClient } from "../../../src/kong/admin-client.ts";
import { EMPTY_CONFIG_HASH, type KongConfig, type KongService } from "../../../src/kong/types.ts";
import type { Ingress, Service } from "../../../src/model/k8s.ts";
import { refKey, refOf } from "../../../src/model/object-ref.ts";
import { snapshotOf } from "../../../src/model/snapshot.ts";
import { tagsFor } from "../../../src/translator/tags.ts";
import type { ObjectResult, Snapshot, TranslationResult } from "../../../src/translator/types.ts";
import type { Clock } from "../../../src/util/clock.ts";

export const silentLogger: Logger = pino({ level: "silent" });

/** Tag the translator below adds to entities of objects annotated `test.local/broken`. */
export const BROKEN_TAG = "test-broken";

export function service(ns: string, name: string, broken = false): Service {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: {
      namespace: ns,
      name,
      uid: `uid-${ns}-${name}`,
      ...(broken ? { annotations: { "test.local/broken": "true" } } : {}),
    },
    spec: { ports: [{ port: 80 }] },
  };
}

/** An Ingress routing `/<name>` to each of `services` (same namespace). */
export function ingress(ns: string, name: string, services: string[], broken = false): Ingress {
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "Ingress",
    metadata: {
      namespace: ns,
      name,
      uid: `uid-${ns}-${name}`,
      ...(broken ? { annotations: { "test.local/broken": "true" } } : {}),
    },
    spec: {
      rules: [
        {
          http: {
            paths: services.map(s => ({
              path: `/${name}/${s}`,
              pathType: "Prefix",
              backend: { service: { name: s, port: { number: 80 } } },
            })),
          },
        },
      ],
    },
  };
}

export function snapshot(objects: { services?: Service[]; ingresses?: Ingress[] }): Snapshot {
  return snapshotOf({ Ingress: objects.ingresses ?? [], Service: objects.services ?? [] });
}

function tags(obj: Service | Ingress): string[] {
  const broken = obj.metadata.annotations?.["test.local/broken"] === "true";
  return [...tagsFor(refOf(obj)), ...(broken ? [BROKEN_TAG] : [])];
}

/**
 * A deliberately small translator: one Kong service per Service, one route per Ingress path nested in
 * it; an Ingress depends on the Services it routes to. Like the real one, an empty result gets the
 * `kong` stub upstream.
 */
export function translate(snap: Snapshot): TranslationResult {
  const results: ObjectResult[] = [];
  const services: KongService[] = [];
  for (const svc of snap.services) {
    const ns = svc.metadata.namespace ?? "";
    const routes = snap.ingresses.flatMap(ing =>
      (ing.spec.rules?.[0]?.http?.paths ?? [])
        .filter(p => p.backend.service?.name === svc.metadata.name && ing.metadata.namespace === ns)
        .map(p => ({
          name: `${ns}.${ing.metadata.name}.${svc.metadata.name}`,
          paths: [p.path ?? "/"],
          tags: tags(ing),
        })),
    );
    services.push({
      name: `${ns}.${svc.metadata.name}`,
      protocol: "http",
      host: `${svc.metadata.name}.${ns}.svc`,
      port: 80,
      tags: tags(svc),
      routes,
    });
    results.push({ ref: refOf(svc), outcome: "translated", problems: [], dependsOn: [] });
  }
  for (const ing of snap.ingresses) {
    const names = (ing.spec.rules?.[0]?.http?.paths ?? []).map(p => p.backend.service?.name);
    const deps = snap.services.filter(
      s => names.includes(s.metadata.name) && s.metadata.namespace === ing.metadata.namespace,
    );
    results.push({
      ref: refOf(ing),
      outcome: deps.length > 0 ? "translated" : "excluded",
      problems: [],
      dependsOn: deps.map(refOf),
    });
  }
  results.sort((a, b) => (refKey(a.ref) < refKey(b.ref) ? -1 : 1));
  const config: KongConfig =
    services.length > 0
      ? { _format_version: "3.0", services }
      : { _format_version: "3.0", upstreams: [{ name: "kong", algorithm: "round-robin" }] };
  return { config, results };
}

/** A canned answer: JSON data (or text), an error to throw as a connection failure, headers. */
export type Reply =
  | { readonly status: number; readonly data?: unknown; readonly headers?: Record<string, string> }
  | { readonly error: string };

interface Entity {
  tags?: string[];
  name?: string;
  routes?: Entity[];
}

/**
 * One Kong node as MockAgent answers it. Holds a config hash (md5 of the last accepted body, zeros when
 * empty); `POST /config` rejects entities carrying BROKEN_TAG (or anything `reject` names) with
 * flattened errors. One-shot faults are queued per endpoint.
 */
export class MockKong {
  readonly origin: string;
  hash = EMPTY_CONFIG_HASH;
  body: string | undefined;
  dump: string | undefined;
  /** Every POST /config that reached the node (faulted ones included). */
  readonly posts: { hash: string; body: string; at: number }[] = [];
  readonly statusReads: number[] = [];
  readonly faults: Record<"root" | "status" | "config" | "post", Reply[]> = {
    root: [],
    status: [],
    config: [],
    post: [],
  };
  /** Persistent fault for every request (e.g. a node that is down). */
  down = false;
  /** Answer 201 without loading (accepted-but-not-applied). */
  ignorePosts = false;
  /** Extra rejection rule: entity (and the names of all services posted with it) → reject it. */
  reject: (entity: Entity, serviceNames: readonly string[]) => boolean = () => false;
  version = "3.9.1";
  readonly #clock: Clock;

  constructor(agent: MockAgent, origin: string, clock: Clock) {
    this.origin = origin;
    this.#clock = clock;
    const pool = agent.get(origin);
    pool
      .intercept({ path: "/", method: "GET" })
      .reply(() => this.#answer("root", () => this.#root()))
      .persist();
    pool
      .intercept({ path: "/status", method: "GET" })
      .reply(() => {
        this.statusReads.push(this.#clock.now());
        return this.#answer("status", () => ({
          status: 200,
          data: { configuration_hash: this.hash, memory: {} },
        }));
      })
      .persist();
    pool
      .intercept({ path: "/config", method: "GET" })
      .reply(() =>
        this.#answer("config", () =>
          this.dump === undefined
            ? { status: 404, data: { message: "Not found" } }
            : { status: 200, data: { config: this.dump } },
        ),
      )
      .persist();
    pool
      .intercept({ path: "/config?check_hash=1&flatten_errors=1", method: "POST" })
      .reply(opts => {
        const body = typeof opts.body === "string" ? opts.body : "";
        if (!this.down) {
          const hash = createHash("md5").update(body).digest("hex");
          this.posts.push({ hash, body, at: this.#clock.now() });
        }
        return this.#answer("post", () => this.#post(body));
      })
      .persist();
  }

  /** Kong restarted without its config. */
  loseConfig(): void {
    this.hash = EMPTY_CONFIG_HASH;
    this.body = undefined;
    this.dump = undefined;
  }

  #answer(endpoint: keyof MockKong["faults"], normal: () => Reply) {
    const reply = this.down
      ? { error: "ECONNREFUSED" }
      : (this.faults[endpoint].shift() ?? normal());
    if ("error" in reply)
      throw Object.assign(new Error(`mock ${reply.error}`), { code: reply.error });
    const data = typeof reply.data === "string" ? reply.data : JSON.stringify(reply.data ?? {});
    return { statusCode: reply.status, data, responseOptions: { headers: reply.headers ?? {} } };
  }

  #root(): Reply {
    return {
      status: 200,
      data: {
        version: this.version,
        configuration: { database: "off", router_flavor: "traditional_compatible" },
      },
    };
  }

  #post(body: string): Reply {
    const hash = createHash("md5").update(body).digest("hex");
    if (this.hash === hash) return { status: 304 };
    const config = JSON.parse(body) as { services?: Entity[]; upstreams?: Entity[] };
    const failures = this.#failures(config);
    if (failures.length > 0) {
      return {
        status: 400,
        data: {
          code: 14,
          name: "invalid declarative configuration",
          message: "declarative config is invalid: {}",
          fields: {},
          flattened_errors: failures,
        },
      };
    }
    if (!this.ignorePosts) {
      this.hash =
        (config.services?.length ?? 0) + (config.upstreams?.length ?? 0) > 0
          ? hash
          : EMPTY_CONFIG_HASH;
      this.body = body;
    }
    return { status: 201, data: {} };
  }

  #failures(config: { services?: Entity[] }): unknown[] {
    const entities: { type: string; entity: Entity }[] = [];
    for (const svc of config.services ?? []) {
      entities.push({ type: "service", entity: svc });
      for (const route of svc.routes ?? []) entities.push({ type: "route", entity: route });
    }
    const names = (config.services ?? []).map(s => s.name ?? "");
    return entities
      .filter(e => (e.entity.tags ?? []).includes(BROKEN_TAG) || this.reject(e.entity, names))
      .map(e => ({
        entity_type: e.type,
        entity_name: e.entity.name,
        entity_tags: e.entity.tags ?? [],
        entity: e.entity,
        errors: [{ type: "field", field: "host", message: "invalid value: nope" }],
      }));
  }
}

export function adminClient(agent: MockAgent, origin: string, clock: Clock): AdminClient {
  return new AdminClient({
    url: origin,
    clock,
    dispatcher: agent,
    timeouts: { baseMs: 5000, perMiBMs: 0, maxMs: 5000 },
  });
}
