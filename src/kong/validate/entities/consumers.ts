/** `consumers` and the credential collections owned by the auth plugins (their `daos.lua`). */
import { createPublicKey } from "node:crypto";
import { msg } from "../messages.ts";
import * as t from "../typedefs.ts";
import type { EntityCheck, EntitySchema } from "../types.ts";

export const consumers: EntitySchema = {
  collection: "consumers",
  endpointKey: "username",
  uniqueFields: ["custom_id"],
  fields: [
    ["id", t.id],
    ["username", t.str],
    ["custom_id", t.str],
    ["tags", t.tags],
  ],
  entityChecks: [{ kind: "atLeastOneOf", fields: ["custom_id", "username"] }],
};

const consumer = t.foreign("consumers", true);

export const JWT_ALGORITHMS = [
  "HS256",
  "HS384",
  "HS512",
  "RS256",
  "RS384",
  "RS512",
  "ES256",
  "ES384",
  "ES512",
  "PS256",
  "PS384",
  "PS512",
  "EdDSA",
] as const;

/** jwt daos.lua `validate_ssl_key`: whatever OpenSSL can load as a key (public or private) passes. */
function validatePublicKey(value: unknown): string | undefined {
  if (typeof value !== "string") return undefined;
  try {
    createPublicKey(value);
    return undefined;
  } catch {
    return "invalid key";
  }
}

/** Every algorithm but the HMAC ones verifies with a public key, which must then be present and load. */
const jwtPublicKeyCheck: EntityCheck = {
  kind: "conditional",
  ifField: "algorithm",
  ifMatch: v => typeof v === "string" && !v.startsWith("HS"),
  thenField: "rsa_public_key",
  thenCheck: v => (v === null || v === undefined ? msg.required : validatePublicKey(v)),
};

/** oauth2 daos.lua `validate_uri` (socket.url parse: scheme and host needed, no fragment). */
function validateRedirectUri(value: unknown): string | undefined {
  if (typeof value !== "string") return undefined;
  const m = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\/([^/?#]*)/.exec(value);
  const host = m?.[2]?.replace(/^[^@]*@/, "").replace(/:\d*$/, "") ?? "";
  if (m === null || host === "") return `cannot parse '${value}'`;
  if (value.includes("#")) return `fragment not allowed in '${value}'`;
  return undefined;
}

/**
 * Credential collections, each present only when its plugin is enabled (kong/plugins/<name>/daos.lua).
 * `mtls_auth_credentials` belongs to mtls-auth, which Kong OSS does not bundle: with the default
 * plugin set it is an `unknown field`, as in Kong OSS.
 */
export const credentialSchemas: readonly (EntitySchema & { readonly plugin: string })[] = [
  {
    plugin: "acl",
    collection: "acls",
    cacheKey: ["consumer", "group"],
    fields: [
      ["id", t.id],
      ["consumer", consumer],
      ["group", { type: "string", required: true }],
      ["tags", t.tags],
    ],
  },
  {
    plugin: "key-auth",
    collection: "keyauth_credentials",
    endpointKey: "key",
    cacheKey: ["key"],
    autoFields: ["key"],
    fields: [
      ["id", t.id],
      ["consumer", consumer],
      ["key", t.str],
      ["ttl", { type: "integer" }],
      ["tags", t.tags],
    ],
  },
  {
    plugin: "basic-auth",
    collection: "basicauth_credentials",
    endpointKey: "username",
    cacheKey: ["username"],
    fields: [
      ["id", t.id],
      ["consumer", consumer],
      ["username", { type: "string", required: true }],
      ["password", { type: "string", required: true }],
      ["tags", t.tags],
    ],
  },
  {
    plugin: "hmac-auth",
    collection: "hmacauth_credentials",
    endpointKey: "username",
    cacheKey: ["username"],
    autoFields: ["secret"],
    fields: [
      ["id", t.id],
      ["consumer", consumer],
      ["username", { type: "string", required: true }],
      ["secret", t.str],
      ["tags", t.tags],
    ],
  },
  {
    plugin: "jwt",
    collection: "jwt_secrets",
    endpointKey: "key",
    cacheKey: ["key"],
    autoFields: ["key", "secret"],
    fields: [
      ["id", t.id],
      ["consumer", consumer],
      ["key", t.str],
      ["secret", t.str],
      ["rsa_public_key", t.str],
      ["algorithm", t.oneOf(JWT_ALGORITHMS, "HS256")],
      ["tags", t.tags],
    ],
    entityChecks: [jwtPublicKeyCheck],
  },
  {
    plugin: "oauth2",
    collection: "oauth2_credentials",
    endpointKey: "client_id",
    cacheKey: ["client_id"],
    autoFields: ["client_id", "client_secret"],
    fields: [
      ["id", t.id],
      ["consumer", consumer],
      ["name", { type: "string", required: true }],
      ["client_id", t.str],
      ["client_secret", t.str],
      ["hash_secret", t.boolFalse],
      [
        "redirect_uris",
        { type: "array", elements: { type: "string", custom: validateRedirectUri } },
      ],
      ["tags", t.tags],
      ["client_type", t.oneOf(["confidential", "public"], "confidential")],
    ],
  },
  {
    plugin: "mtls-auth",
    collection: "mtls_auth_credentials",
    cacheKey: ["subject_name", "ca_certificate"],
    fields: [
      ["id", t.id],
      ["consumer", consumer],
      ["subject_name", { type: "string", required: true }],
      ["ca_certificate", t.foreign("ca_certificates")],
      ["tags", t.tags],
    ],
  },
];
