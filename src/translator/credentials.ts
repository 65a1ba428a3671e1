/**
 * Credential Secrets (kic-kong-resources.md §3.2), the Kubernetes side: the type comes only from the
 * `konghq.com/credential` label, and the Secret keys KIC reads per type become Kong fields. Whether Kong
 * takes the credential is not decided here but by Kong's own credential schemas (src/kong/validate), the
 * rules `kongress validate` and `POST /config` apply, so a credential passes here exactly when Kong
 * would accept it.
 */
import {
  credentialCollection,
  DEFAULT_KONG_VALIDATION_OPTIONS,
  validateDeclarativeConfig,
  type KongValidationError,
} from "../kong/validate/index.ts";
import type { Secret } from "../model/k8s.ts";
import { REDACTED } from "../util/private-keys.ts";
import { CREDENTIAL_TYPE_LABEL } from "../model/kong.ts";
import type { CredentialType } from "./ir/types.ts";

export type CredentialRead =
  | {
      readonly ok: true;
      readonly type: CredentialType;
      readonly fields: Readonly<Record<string, unknown>>;
    }
  /** `type` is set when the Secret says which credential it is (the consumer may then stay). */
  | { readonly ok: false; readonly type?: CredentialType; readonly message: string };

/** The Secret keys KIC reads per type (others are ignored), each as a string unless converted below. */
const KEYS: Readonly<Record<CredentialType, readonly string[]>> = {
  "key-auth": ["key", "ttl"],
  "basic-auth": ["username", "password"],
  "hmac-auth": ["username", "secret"],
  jwt: ["key", "secret", "algorithm", "rsa_public_key"],
  oauth2: ["name", "client_id", "client_secret", "client_type", "redirect_uris", "hash_secret"],
  acl: ["group"],
  "mtls-auth": ["subject_name"],
};

/**
 * Fields Kong generates when absent (`auto`), which KIC requires: in a DB-less config a generated key
 * is a new random one at every load, which no client can know.
 */
const KIC_REQUIRED: Partial<Readonly<Record<CredentialType, string>>> = {
  "key-auth": "key",
  jwt: "key",
  oauth2: "client_id",
};

/** The consumer collection a type's credentials are nested under (`key-auth` → `keyauth_credentials`). */
export function credentialCollectionOf(type: CredentialType): string {
  // Every type KIC reads is one of Kong's credential plugins, so the fallback is never used.
  return credentialCollection(type)?.collection ?? type;
}

/** The field Kong keeps unique across every consumer, per type (KIC's conflict indexes). */
export function uniqueFieldOf(type: CredentialType): string | undefined {
  return credentialCollection(type)?.uniqueField;
}

function decode(secret: Secret): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(secret.data ?? {}))
    out[key] = Buffer.from(value, "base64").toString("utf8");
  return out;
}

function isType(value: string): value is CredentialType {
  return Object.hasOwn(KEYS, value);
}

/**
 * The credential a Secret holds, as Kong will be given it; not ok when the Secret is not a credential
 * or Kong would refuse it, with Kong's own messages (never a field's value).
 */
export function readCredential(
  secret: Secret,
  enabledPlugins: ReadonlySet<string> = DEFAULT_KONG_VALIDATION_OPTIONS.enabledPlugins,
): CredentialRead {
  const type = secret.metadata.labels?.[CREDENTIAL_TYPE_LABEL];
  if (type === undefined)
    return { ok: false, message: `the Secret has no ${CREDENTIAL_TYPE_LABEL} label` };
  if (!isType(type)) return { ok: false, message: `unsupported credential type: "${type}"` };
  if (!enabledPlugins.has(type)) return { ok: false, type, message: notEnabled(type) };
  const fields = kongFields(type, decode(secret));
  const required = KIC_REQUIRED[type];
  if (required !== undefined && (fields[required] ?? "") === "")
    return { ok: false, type, message: `${type} is invalid: no ${required}` };
  const refusal = kongRefusal(type, fields, enabledPlugins);
  if (refusal !== undefined) return { ok: false, type, message: `${type} is invalid: ${refusal}` };
  return { ok: true, type, fields };
}

function notEnabled(type: CredentialType): string {
  const why = type === "mtls-auth" ? " (a Kong Enterprise plugin, not in Kong OSS)" : "";
  return `${type} credentials need the ${type} plugin, which Kong does not have enabled${why}`;
}

/**
 * The Secret's keys as Kong fields. Secret data is text, so the non-string fields are converted where
 * the text says what it means; text that does not is passed on for Kong's schema to refuse by name.
 */
function kongFields(
  type: CredentialType,
  data: Readonly<Record<string, string>>,
): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  if (data["id"] !== undefined && data["id"] !== "") fields["id"] = data["id"];
  for (const key of KEYS[type]) {
    const value = data[key];
    if (value !== undefined) fields[key] = converted(key, value);
  }
  // KIC writes Kong's default algorithm out, so configs diff cleanly against KIC's.
  if (type === "jwt" && fields["algorithm"] === undefined) fields["algorithm"] = "HS256";
  return fields;
}

function converted(key: string, value: string): unknown {
  switch (key) {
    case "ttl":
      return /^-?\d+$/.test(value.trim()) ? Number(value.trim()) : value;
    case "hash_secret":
      return value === "true" ? true : value === "false" ? false : value;
    case "redirect_uris":
      return value
        .split(",")
        .map(u => u.trim())
        .filter(Boolean);
    default:
      return value;
  }
}

/** What Kong would say of this credential on a consumer, or undefined when it would take it. */
function kongRefusal(
  type: CredentialType,
  fields: Readonly<Record<string, unknown>>,
  enabledPlugins: ReadonlySet<string>,
): string | undefined {
  const result = validateDeclarativeConfig(
    {
      _format_version: "3.0",
      consumers: [{ username: "consumer", [credentialCollectionOf(type)]: [fields] }],
    },
    { ...DEFAULT_KONG_VALIDATION_OPTIONS, enabledPlugins },
  );
  return result.ok ? undefined : redacted(messagesOf(result.error), fields);
}

/** Kong's field and entity messages, without the entity itself: its name may be a secret key. */
function messagesOf(error: KongValidationError): string {
  const lines = error.flattened_errors.flatMap(entry =>
    entry.errors.map(e => (e.type === "field" ? `${e.field}: ${e.message}` : e.message)),
  );
  return lines.length > 0 ? lines.join("; ") : error.message;
}

/**
 * Kong quotes a value it cannot parse (`cannot parse '<uri>'`); Secret data stays out of events and
 * logs, so every quoted field value is masked.
 */
function redacted(message: string, fields: Readonly<Record<string, unknown>>): string {
  let out = message;
  for (const value of Object.values(fields).flat())
    if (typeof value === "string" && value !== "")
      out = out.replaceAll(`'${value}'`, `'${REDACTED}'`);
  return out;
}
