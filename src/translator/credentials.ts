/**
 * Credential Secrets (kic-kong-resources.md §3.2): the type comes only from the `konghq.com/credential`
 * label; the fields KIC reads per type, as strings unless noted, and the one each type requires. Kong
 * OSS has no mtls-auth (an Enterprise plugin): such a credential is a problem, not a silent drop.
 */
import type { Secret } from "../model/k8s.ts";
import { CREDENTIAL_TYPE_LABEL } from "../model/kong.ts";
import type { CredentialType } from "./ir/types.ts";

export type CredentialRead =
  | {
      readonly ok: true;
      readonly type: CredentialType;
      readonly fields: Readonly<Record<string, unknown>>;
    }
  | { readonly ok: false; readonly message: string };

interface TypeRule {
  /** Fields read as strings. */
  readonly strings: readonly string[];
  readonly required: string;
}

const RULES: Readonly<Record<Exclude<CredentialType, "mtls-auth">, TypeRule>> = {
  "key-auth": { strings: ["key"], required: "key" },
  "basic-auth": { strings: ["username", "password"], required: "username" },
  "hmac-auth": { strings: ["username", "secret"], required: "username" },
  jwt: { strings: ["key", "secret", "algorithm", "rsa_public_key"], required: "key" },
  oauth2: { strings: ["name", "client_id", "client_secret", "client_type"], required: "client_id" },
  acl: { strings: ["group"], required: "group" },
};

/** The Kong collection each type's credentials are nested under in a consumer. */
export const CREDENTIAL_COLLECTIONS: Readonly<Record<CredentialType, string>> = {
  "key-auth": "keyauth_credentials",
  "basic-auth": "basicauth_credentials",
  "hmac-auth": "hmacauth_credentials",
  jwt: "jwt_secrets",
  oauth2: "oauth2_credentials",
  acl: "acls",
  "mtls-auth": "mtls_auth_credentials",
};

/** The field Kong keeps unique across every consumer, per type (KIC's conflict indexes). */
export const UNIQUE_FIELDS: Partial<Readonly<Record<CredentialType, string>>> = {
  "key-auth": "key",
  "basic-auth": "username",
  "hmac-auth": "username",
  jwt: "key",
  oauth2: "client_id",
};

function decode(secret: Secret): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(secret.data ?? {}))
    out[key] = Buffer.from(value, "base64").toString("utf8");
  return out;
}

function isType(value: string): value is CredentialType {
  return Object.hasOwn(CREDENTIAL_COLLECTIONS, value);
}

export function readCredential(secret: Secret): CredentialRead {
  const type = secret.metadata.labels?.[CREDENTIAL_TYPE_LABEL];
  if (type === undefined)
    return { ok: false, message: `the Secret has no ${CREDENTIAL_TYPE_LABEL} label` };
  if (!isType(type)) return { ok: false, message: `unsupported credential type: "${type}"` };
  if (type === "mtls-auth")
    return { ok: false, message: "mtls-auth credentials need Kong Enterprise (not in Kong OSS)" };
  const rule = RULES[type];
  const data = decode(secret);
  const fields: Record<string, unknown> = {};
  if (data["id"] !== undefined && data["id"] !== "") fields["id"] = data["id"];
  for (const name of rule.strings) {
    const value = data[name];
    if (value !== undefined) fields[name] = value;
  }
  if (typeof fields[rule.required] !== "string" || fields[rule.required] === "")
    return { ok: false, message: `${type} is invalid: no ${rule.required}` };
  const extra = typedFields(type, data);
  if (typeof extra === "string") return { ok: false, message: `${type} is invalid: ${extra}` };
  return { ok: true, type, fields: { ...fields, ...extra } };
}

/** The non-string fields: key-auth `ttl`, jwt's default algorithm, oauth2 `redirect_uris` and `hash_secret`. */
function typedFields(
  type: CredentialType,
  data: Readonly<Record<string, string>>,
): Record<string, unknown> | string {
  switch (type) {
    case "key-auth":
      return keyAuthFields(data);
    case "jwt":
      return jwtFields(data);
    case "oauth2":
      return oauth2Fields(data);
    case "acl":
    case "basic-auth":
    case "hmac-auth":
    case "mtls-auth":
      return {};
  }
}

function keyAuthFields(data: Readonly<Record<string, string>>): Record<string, unknown> | string {
  const ttl = data["ttl"]?.trim();
  if (ttl === undefined) return {};
  return /^\d+$/.test(ttl) ? { ttl: Number(ttl) } : `ttl "${ttl}" is not an integer`;
}

function jwtFields(data: Readonly<Record<string, string>>): Record<string, unknown> | string {
  const algorithm = data["algorithm"] ?? "HS256";
  // Kong checks the key of an asymmetric algorithm (jwt's daos.lua); KIC's webhook requires it.
  if (!algorithm.startsWith("HS") && (data["rsa_public_key"] ?? "") === "")
    return `algorithm ${algorithm} needs rsa_public_key`;
  return data["algorithm"] === undefined ? { algorithm } : {};
}

function oauth2Fields(data: Readonly<Record<string, string>>): Record<string, unknown> | string {
  const out: Record<string, unknown> = {};
  const uris = data["redirect_uris"];
  if (uris !== undefined)
    out["redirect_uris"] = uris
      .split(",")
      .map(u => u.trim())
      .filter(Boolean);
  const hash = data["hash_secret"];
  if (hash === undefined) return out;
  if (hash !== "true" && hash !== "false") return `hash_secret "${hash}" is not true or false`;
  return { ...out, hash_secret: hash === "true" };
}
