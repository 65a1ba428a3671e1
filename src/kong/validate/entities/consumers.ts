/** `consumers` and the credential collections owned by the auth plugins (their `daos.lua`). */
import * as t from "../typedefs.ts";
import type { EntitySchema } from "../types.ts";

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

/** Credential collections, each present only when its plugin is enabled. */
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
    cacheKey: ["key"],
    uniqueFields: ["key"],
    autoFields: ["key"],
    fields: [
      ["id", t.id],
      ["consumer", consumer],
      ["key", { type: "string", required: true }],
      ["ttl", { type: "integer" }],
      ["tags", t.tags],
    ],
  },
  {
    plugin: "basic-auth",
    collection: "basicauth_credentials",
    cacheKey: ["username"],
    uniqueFields: ["username"],
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
    cacheKey: ["username"],
    uniqueFields: ["username"],
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
    cacheKey: ["key"],
    uniqueFields: ["key"],
    autoFields: ["key", "secret"],
    fields: [
      ["id", t.id],
      ["consumer", consumer],
      ["key", t.str],
      ["secret", t.str],
      ["rsa_public_key", t.str],
      [
        "algorithm",
        t.oneOf(
          [
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
          ],
          "HS256",
        ),
      ],
      ["tags", t.tags],
    ],
  },
  {
    plugin: "oauth2",
    collection: "oauth2_credentials",
    cacheKey: ["client_id"],
    uniqueFields: ["client_id"],
    autoFields: ["client_id", "client_secret"],
    fields: [
      ["id", t.id],
      ["name", { type: "string", required: true }],
      ["consumer", consumer],
      ["client_id", t.str],
      ["client_secret", t.str],
      ["hash_secret", t.boolFalse],
      ["redirect_uris", t.strArray],
      ["client_type", t.oneOf(["confidential", "public"], "confidential")],
      ["tags", t.tags],
    ],
  },
];
