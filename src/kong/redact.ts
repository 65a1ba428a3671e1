/**
 * Hiding secrets in Kong configs and in text derived from them (logs, Events, CLI output, debug dumps).
 *
 * What is secret is decided by structure, not guessed from values:
 * - credential entities (nested under `consumers` or top level) hide the fields Kong stores encrypted:
 *   key-auth `key`, basic-auth `password`, hmac-auth and jwt `secret`, oauth2 `client_secret`
 *   (jwt `rsa_public_key` and the identifying fields — usernames, jwt `key`, `client_id` — stay);
 * - certificates hide `key`/`key_alt`, `keys` hide `jwk` and `pem.private_key`;
 * - a plugin tagged {@link SECRET_CONFIG_TAG} — its config came, wholly or partly, from a Secret
 *   (KongPlugin `configFrom`/`configPatches`) — hides every string and number of its `config`;
 *   any other plugin (and any vault) hides the config fields Kong marks encrypted/referenceable
 *   (`password`, `secret`, `token`, …) at any depth;
 * - every string anywhere loses its PEM private-key blocks.
 *
 * The tag is the contract with the translator: it travels with the plugin to Kong and back (a config
 * read from Kong's `GET /config` is redacted the same way), and Kong accepts it like any tag.
 *
 * Kong's error messages can echo a secret (`uniqueness violation: ... key set to '<key>'`), so text is
 * scrubbed by value: {@link secretValues} lists what redaction hides, {@link scrubText} replaces those
 * values in a message.
 *
 * Everything hidden becomes {@link REDACTED} (`{vault://redacted-value}`), here and in the logger's
 * by-path censoring alike: KIC's marker, which Kong reads as a vault reference, so a redacted config
 * stays one Kong accepts; one marker also means one string to search logs and dumps for.
 */

import { REDACTED, stripPrivateKeys } from "../util/private-keys.ts";
import { isRecord } from "../util/is-record.ts";

export { REDACTED, stripPrivateKeys };

/** Tag on a plugin whose config holds values taken from a Kubernetes Secret. */
export const SECRET_CONFIG_TAG = "k8s-secret-config";

/** Secret fields per collection (Kong's `encrypted = true` fields of the entity and credential DAOs). */
const SECRET_FIELDS: Readonly<Record<string, readonly string[]>> = {
  keyauth_credentials: ["key"],
  basicauth_credentials: ["password"],
  hmacauth_credentials: ["secret"],
  jwt_secrets: ["secret"],
  oauth2_credentials: ["client_secret"],
  certificates: ["key", "key_alt"],
  keys: ["jwk"],
};

/** Plugin and vault config fields Kong keeps encrypted or referenceable, found at any depth. */
const SECRET_CONFIG_FIELDS: ReadonlySet<string> = new Set([
  "password",
  "sentinel_password",
  "ldap_password",
  "secret",
  "client_secret",
  "private_key",
  "token",
  "api_key",
  "apikey",
  "aws_key",
  "aws_secret",
  "aws_secret_access_key",
  "azure_client_secret",
  "gcp_service_account_json",
  "header_value",
  "param_value",
  "eab_hmac_key",
  "authorization",
]);

/** Collections whose entities hold a `config` with secret fields. */
const CONFIG_COLLECTIONS: ReadonlySet<string> = new Set(["plugins", "vaults"]);

type Hide = (value: string | number) => string;

function hasSecretTag(entity: Record<string, unknown>): boolean {
  const tags = entity["tags"];
  return Array.isArray(tags) && tags.includes(SECRET_CONFIG_TAG);
}

/** Every string and number of a Secret-fed config. */
function hideAll(value: unknown, hide: Hide): unknown {
  if (typeof value === "string" || typeof value === "number") return hide(value);
  if (Array.isArray(value)) return value.map(v => hideAll(v, hide));
  if (!isRecord(value)) return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, hideAll(v, hide)]));
}

/** The named secret fields of a config, at any depth. */
function hideNamed(value: unknown, hide: Hide): unknown {
  if (typeof value === "string") return stripPrivateKeys(value);
  if (Array.isArray(value)) return value.map(v => hideNamed(v, hide));
  if (!isRecord(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] =
      SECRET_CONFIG_FIELDS.has(k) && (typeof v === "string" || typeof v === "number")
        ? hide(v)
        : hideNamed(v, hide);
  }
  return out;
}

function redactEntity(
  collection: string,
  entity: Record<string, unknown>,
  hide: Hide,
): Record<string, unknown> {
  const secretFields = SECRET_FIELDS[collection] ?? [];
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(entity)) {
    if (secretFields.includes(k) && typeof v === "string") out[k] = hide(v);
    else if (k === "config" && CONFIG_COLLECTIONS.has(collection)) {
      out[k] =
        collection === "plugins" && hasSecretTag(entity) ? hideAll(v, hide) : hideNamed(v, hide);
    } else if (k === "pem" && collection === "keys") out[k] = hideNamed(v, hide);
    else out[k] = walk(v, hide);
  }
  return out;
}

/** Entities of a collection: an array (declarative form) or an id-keyed map (normalised form). */
function redactCollection(collection: string, value: unknown, hide: Hide): unknown {
  const one = (entity: unknown): unknown =>
    isRecord(entity) ? redactEntity(collection, entity, hide) : walk(entity, hide);
  if (Array.isArray(value)) return value.map(one);
  if (!isRecord(value)) return walk(value, hide);
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, one(v)]));
}

const KNOWN_COLLECTIONS: ReadonlySet<string> = new Set([
  ...Object.keys(SECRET_FIELDS),
  ...CONFIG_COLLECTIONS,
]);

/** Anything else: collections are recognised by their key, flattened error entries by `entity_type`. */
function walk(value: unknown, hide: Hide): unknown {
  if (typeof value === "string") return stripPrivateKeys(value);
  if (Array.isArray(value)) return value.map(v => walk(v, hide));
  if (!isRecord(value)) return value;
  const entityType = value["entity_type"];
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (KNOWN_COLLECTIONS.has(k)) out[k] = redactCollection(k, v, hide);
    else if (k === "entity" && typeof entityType === "string" && isRecord(v)) {
      out[k] = redactEntity(`${entityType}s`, v, hide);
    } else out[k] = walk(v, hide);
  }
  return out;
}

/**
 * A copy of `value` (a declarative config, Kong's normalised entity map, a dump or an error body)
 * with every secret replaced by {@link REDACTED}. The input is never changed.
 */
export function redactConfig<T>(value: T): T {
  return walk(value, () => REDACTED) as T;
}

/**
 * Texts shorter than this are not scrubbed from messages: replacing every `on` or `42` would garble
 * the message, and so short a value protects nothing.
 */
const MIN_SCRUBBED_LENGTH = 4;

/** Collects without copying: `remember` runs on every translation, over configs of any size. */
function collectAll(value: unknown, add: (v: string | number) => void): void {
  if (typeof value === "string" || typeof value === "number") add(value);
  else if (Array.isArray(value)) for (const v of value) collectAll(v, add);
  else if (isRecord(value)) for (const v of Object.values(value)) collectAll(v, add);
}

function collectNamed(value: unknown, add: (v: string | number) => void): void {
  if (Array.isArray(value)) for (const v of value) collectNamed(v, add);
  if (!isRecord(value)) return;
  for (const [k, v] of Object.entries(value)) {
    if (SECRET_CONFIG_FIELDS.has(k) && (typeof v === "string" || typeof v === "number")) add(v);
    else if (typeof v === "object" && v !== null) collectNamed(v, add);
  }
}

function collectEntity(
  collection: string,
  entity: Record<string, unknown>,
  add: (v: string | number) => void,
): void {
  const secretFields = SECRET_FIELDS[collection] ?? [];
  for (const [k, v] of Object.entries(entity)) {
    if (secretFields.includes(k) && typeof v === "string") add(v);
    else if (k === "config" && CONFIG_COLLECTIONS.has(collection)) {
      if (collection === "plugins" && hasSecretTag(entity)) collectAll(v, add);
      else collectNamed(v, add);
    } else if (k === "pem" && collection === "keys") collectNamed(v, add);
    else if (typeof v === "object" && v !== null) collect(v, add);
  }
}

function collectCollection(
  collection: string,
  value: object,
  add: (v: string | number) => void,
): void {
  for (const entity of Array.isArray(value) ? (value as unknown[]) : Object.values(value)) {
    if (isRecord(entity)) collectEntity(collection, entity, add);
    else collect(entity, add);
  }
}

/** The same decisions as {@link walk}, reading only. */
function collect(value: unknown, add: (v: string | number) => void): void {
  if (Array.isArray(value)) {
    for (const v of value as unknown[]) if (typeof v === "object" && v !== null) collect(v, add);
    return;
  }
  if (!isRecord(value)) return;
  const entityType = value["entity_type"];
  for (const k in value) {
    const v = value[k];
    if (typeof v !== "object" || v === null) continue;
    if (KNOWN_COLLECTIONS.has(k)) collectCollection(k, v, add);
    else if (k === "entity" && typeof entityType === "string" && isRecord(v)) {
      collectEntity(`${entityType}s`, v, add);
    } else collect(v, add);
  }
}

/** The secrets of one element of a top-level collection (a service with its routes, a consumer…). */
function elementSecrets(collection: string, element: object): string[] {
  const out: string[] = [];
  const add = (v: string | number): void => {
    const text = String(v);
    if (text.length >= MIN_SCRUBBED_LENGTH) out.push(text);
  };
  if (KNOWN_COLLECTIONS.has(collection) && isRecord(element))
    collectEntity(collection, element, add);
  else collect(element, add);
  return out;
}

/**
 * The secret values {@link redactConfig} hides in `value`, for scrubbing text derived from it. With a
 * cache, the elements of top-level collections that are the same objects as last time (the
 * translator reuses what did not change) are not walked again.
 */
export function secretValues(
  value: unknown,
  cache?: WeakMap<object, readonly string[]>,
): Set<string> {
  const found = new Set<string>();
  const addAll = (list: readonly string[]): void => {
    for (const v of list) found.add(v);
  };
  if (typeof value !== "object" || value === null) return found;
  const declarative =
    isRecord(value) &&
    Object.values(value).every(v => Array.isArray(v) || typeof v !== "object" || v === null);
  if (!declarative) {
    addAll(elementSecrets("", value));
    return found;
  }
  for (const [key, list] of Object.entries(value)) {
    if (!Array.isArray(list)) continue;
    for (const element of list as unknown[]) {
      if (typeof element !== "object" || element === null) continue;
      let secrets = cache?.get(element);
      if (secrets === undefined) {
        secrets = elementSecrets(key, element);
        cache?.set(element, secrets);
      }
      addAll(secrets);
    }
  }
  return found;
}

/** Longest first, so a secret that contains another is replaced whole. */
function longestFirst(secrets: Iterable<string>): readonly string[] {
  return [...secrets].sort((a, b) => b.length - a.length);
}

/** {@link scrubText} for secrets already sorted longest first. */
function scrubSorted(text: string, sorted: readonly string[]): string {
  let out = stripPrivateKeys(text);
  for (const secret of sorted) {
    if (out.includes(secret)) out = out.split(secret).join(REDACTED);
  }
  return out;
}

/** {@link scrubDeep} for secrets already sorted longest first. */
function scrubDeepSorted(value: unknown, sorted: readonly string[]): unknown {
  const visit = (v: unknown): unknown => {
    if (typeof v === "string") return scrubSorted(v, sorted);
    if (Array.isArray(v)) return v.map(visit);
    if (!isRecord(v)) return v;
    return Object.fromEntries(Object.entries(v).map(([k, c]) => [k, visit(c)]));
  };
  return visit(value);
}

/** `text` with every occurrence of a secret value, and every PEM private key, replaced. */
export function scrubText(text: string, secrets: Iterable<string>): string {
  return scrubSorted(text, longestFirst(secrets));
}

/** Every string in `value` (at any depth) scrubbed with {@link scrubText}; a copy. */
export function scrubDeep(value: unknown, secrets: Iterable<string>): unknown {
  return scrubDeepSorted(value, longestFirst(secrets));
}

/** How many configs' secrets a {@link SecretScrubber} keeps. */
export const REMEMBERED_CONFIGS = 4;

/**
 * The secrets of the last few configs this process built, for the choke points that only see text
 * (the logger, Event messages). A config Kong still runs may be older than the newest one, so the
 * secrets of the previous {@link REMEMBERED_CONFIGS} configs are kept too.
 */
export class SecretScrubber {
  #recent: Set<string>[] = [];
  /** Per unchanged service, consumer, certificate…: its secrets, found once. */
  readonly #cache = new WeakMap<object, readonly string[]>();
  #all: readonly string[] = [];

  /** Learns the secrets of a config that is about to be sent, dumped or logged about. */
  remember(config: unknown): void {
    this.#recent = [secretValues(config, this.#cache), ...this.#recent].slice(
      0,
      REMEMBERED_CONFIGS,
    );
    const union = new Set<string>();
    for (const set of this.#recent) for (const v of set) union.add(v);
    // Sorted once here, not for every string logged.
    this.#all = longestFirst(union);
  }

  scrubText(text: string): string {
    return scrubSorted(text, this.#all);
  }

  scrubDeep(value: unknown): unknown {
    return scrubDeepSorted(value, this.#all);
  }
}
