/**
 * A Kong Admin API for sender tests, mocked with undici's MockAgent, whose answers follow a tiny
 * in-memory model of a node. Configs come from the real translator (cluster.ts); the node refuses the
 * entities of the objects a test names as broken, by their `k8s-*` tags as Kong's own errors carry them.
 */
import { createHash } from "node:crypto";
import type { MockAgent } from "undici";
import { pino, type Logger } from "pino";
import { AdminClient } from "../../../src/kong/admin-client.ts";
import { refFromTags } from "../../../src/kong/flattened-errors.ts";
import { EMPTY_CONFIG_HASH } from "../../../src/kong/types.ts";
import type { KubeObject } from "../../../src/model/k8s.ts";
import { objectKey, refKey } from "../../../src/model/object-ref.ts";
import type { Clock } from "../../../src/util/clock.ts";

export const silentLogger: Logger = pino({ level: "silent" });

/** A canned answer: JSON data (or text), an error to throw as a connection failure, headers. */
export type Reply =
  | { readonly status: number; readonly data?: unknown; readonly headers?: Record<string, string> }
  | { readonly error: string };

interface Entity {
  tags?: string[];
  name?: string;
  [nested: string]: unknown;
}

/** Collections nested in an entity of the declarative config, with the entity type of their members. */
const NESTED: Readonly<Record<string, string>> = {
  routes: "route",
  targets: "target",
  plugins: "plugin",
};

/**
 * One Kong node as MockAgent answers it. Holds a config hash (md5 of the last accepted body, zeros when
 * empty); `POST /config` rejects the entities of the objects in `broken` (and anything `reject` names)
 * with flattened errors. One-shot faults are queued per endpoint.
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
  /** Keys (`Kind/namespace/name`) of the objects whose entities this node refuses. */
  readonly broken = new Set<string>();
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
        // The encoder's configs are sent as UTF-8 chunks, a config read back from Kong as text.
        const body =
          typeof opts.body === "string"
            ? opts.body
            : Array.isArray(opts.body)
              ? Buffer.concat(opts.body as Uint8Array[]).toString("utf8")
              : "";
        if (!this.down) {
          const hash = createHash("md5").update(body).digest("hex");
          this.posts.push({ hash, body, at: this.#clock.now() });
        }
        return this.#answer("post", () => this.#post(body));
      })
      .persist();
  }

  /** This node refuses every entity generated from these objects. */
  breaks(...objects: KubeObject[]): this {
    for (const obj of objects) this.broken.add(objectKey(obj));
    return this;
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
    const config = JSON.parse(body) as Record<string, unknown>;
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
      const entities = Object.values(config).filter(v => Array.isArray(v) && v.length > 0);
      this.hash = entities.length > 0 ? hash : EMPTY_CONFIG_HASH;
      this.body = body;
    }
    return { status: 201, data: {} };
  }

  #failures(config: Record<string, unknown>): unknown[] {
    const entities: { type: string; entity: Entity }[] = [];
    const collect = (type: string, list: unknown): void => {
      if (!Array.isArray(list)) return;
      for (const entity of list as Entity[]) {
        entities.push({ type, entity });
        for (const [field, nestedType] of Object.entries(NESTED))
          collect(nestedType, entity[field]);
      }
    };
    for (const [collection, list] of Object.entries(config))
      collect(collection.replace(/s$/, ""), list);
    const names = ((config["services"] ?? []) as Entity[]).map(s => s.name ?? "");
    return entities
      .filter(e => this.#refuses(e.entity) || this.reject(e.entity, names))
      .map(e => ({
        entity_type: e.type,
        entity_name: e.entity.name,
        entity_tags: e.entity.tags ?? [],
        entity: e.entity,
        errors: [{ type: "field", field: "host", message: "invalid value: nope" }],
      }));
  }

  #refuses(entity: Entity): boolean {
    const ref = refFromTags(entity.tags ?? []);
    return ref !== undefined && this.broken.has(refKey(ref));
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
