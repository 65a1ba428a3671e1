/** `POST /config` (kong-admin-api.md §3.2): parse, check_hash, validate, lock, load, hash. */
import { createHash } from "node:crypto";
import {
  parseFailure,
  toErrorBody,
  validateDeclarativeConfig,
  type KongValidationOptions,
  type NormalizedEntities,
} from "../../../src/kong/validate/index.ts";
import { EMPTY_CONFIG_HASH } from "../../../src/kong/types.ts";
import { stableStringify } from "../../../src/util/stable-json.ts";
import { isTruthy, readConfigBody, type ConfigInput } from "./config-body.ts";
import { json, message, type Reply } from "./http.ts";

/** A configuration a node holds: what was posted, the entity map and its hash. */
export interface LoadedConfig {
  readonly posted: unknown;
  readonly entities: NormalizedEntities;
  readonly hash: string;
}

export const EMPTY_CONFIG: LoadedConfig = {
  posted: undefined,
  entities: {},
  hash: EMPTY_CONFIG_HASH,
};

export interface PostConfigHooks {
  readonly currentHash: () => string;
  readonly validation: () => KongValidationOptions;
  /** Tag whose entities must be rejected (fault `rejectTagged`), if any. */
  readonly rejectTag: () => string | undefined;
  /** Remaining load-lock time in ms (0 when free). */
  readonly lockRemainingMs: () => number;
  /** Holds the lock, waits the load duration and stores the config unless `apply` is false. */
  readonly load: (config: LoadedConfig) => Promise<Reply>;
}

const md5 = (text: string): string => createHash("md5").update(text).digest("hex");

/** A marker field the real validator rejects (`unknown field`), stripped from the reported entity. */
const BROKEN_MARKER = "broken";

function markTagged(value: unknown, tag: string): unknown {
  if (Array.isArray(value)) return value.map(v => markTagged(v, tag));
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = markTagged(v, tag);
  const tags = (value as { tags?: unknown }).tags;
  if (Array.isArray(tags) && tags.includes(tag)) out[BROKEN_MARKER] = true;
  return out;
}

type FlatEntry = { entity: Record<string, unknown>; errors: Record<string, unknown>[] };

function stripMarker(body: Record<string, unknown>, tag: string): Record<string, unknown> {
  const entries = body["flattened_errors"];
  if (!Array.isArray(entries)) return body;
  for (const entry of entries as FlatEntry[]) {
    Reflect.deleteProperty(entry.entity, BROKEN_MARKER);
    entry.errors = entry.errors.map(e =>
      e["field"] === BROKEN_MARKER
        ? { type: "entity", message: `rejected by the Kong emulator: tagged '${tag}'` }
        : e,
    );
  }
  return body;
}

function hashOf(input: ConfigInput, entities: NormalizedEntities): string {
  if (Object.values(entities).every(c => Object.keys(c).length === 0)) return EMPTY_CONFIG_HASH;
  // Kong hashes string inputs byte for byte; object inputs get a deterministic stand-in (§6).
  return input.kind === "string" ? md5(input.text) : md5(stableStringify(entities));
}

/** Handles a `POST /config` whose JSON (if any) already parsed. */
export async function postConfig(
  body: { readonly text: string; readonly contentType: string; readonly query: URLSearchParams },
  hooks: PostConfigHooks,
): Promise<Reply> {
  const { input, params } = readConfigBody(body.text, body.contentType, body.query);
  if (input.kind === "none") return message(400, "expected a declarative configuration");
  if (input.kind === "unparsable") {
    const error = parseFailure(input.reason);
    return json(400, toErrorBody(error, { flatten: false }));
  }
  if (
    params.get("check_hash") === "1" &&
    input.kind === "string" &&
    md5(input.text) === hooks.currentHash()
  ) {
    return { status: 304 };
  }
  const tag = hooks.rejectTag();
  const doc = tag === undefined ? input.doc : markTagged(input.doc, tag);
  const result = validateDeclarativeConfig(doc, hooks.validation());
  if (!result.ok) {
    const errorBody = toErrorBody(result.error, {
      flatten: isTruthy(params.get("flatten_errors")),
    });
    return json(400, tag === undefined ? errorBody : stripMarker(errorBody, tag));
  }
  const remaining = hooks.lockRemainingMs();
  if (remaining > 0) {
    const retryAfter = String(Math.min(10, Math.max(1, Math.ceil(remaining / 1000))));
    return json(
      429,
      { message: "Currently loading previous configuration" },
      { "Retry-After": retryAfter },
    );
  }
  return hooks.load({
    posted: input.doc,
    entities: result.entities,
    hash: hashOf(input, result.entities),
  });
}
