/**
 * Consumer credentials in the declarative 3.0 format (the auth plugins' daos.lua): nested under a
 * consumer and top level, Kong's field rules, the jwt algorithm rules, and global key uniqueness.
 */
import { createPublicKey } from "node:crypto";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { BUNDLED_PLUGINS, type NormalizedEntities } from "../../../../src/kong/validate/index.ts";
import { accepted, fieldsOf, only, V3 } from "./helpers.ts";

const RSA_PUBLIC_KEY = createPublicKey(
  readFileSync(new URL("../../../fixtures/certs/api.key", import.meta.url), "utf8"),
)
  .export({ type: "spki", format: "pem" })
  .toString();

const uniqueness = (collection: string, field: string, value: string) =>
  `uniqueness violation: '${collection}' entity with ${field} set to '${value}' already declared`;

/** The errors of the first credential nested in the first consumer. */
function nestedErrors(collection: string, credential: Record<string, unknown>): unknown {
  const fields = fieldsOf({
    ...V3,
    consumers: [{ username: "bob", [collection]: [credential] }],
  }) as { consumers: Record<string, unknown[]>[] };
  return fields.consumers[0]?.[collection]?.[0];
}

/** The one entity of a collection (failing when there is none or more). */
function onlyOf(entities: NormalizedEntities, collection: string): Record<string, unknown> {
  return only(Object.values(entities[collection] ?? {}));
}

describe("credential field rules", () => {
  it.each<[string, string, Record<string, unknown>, unknown]>([
    ["acl without a group", "acls", {}, { group: "required field missing" }],
    [
      "basic-auth without a password",
      "basicauth_credentials",
      { username: "u" },
      { password: "required field missing" },
    ],
    [
      "basic-auth with an empty username",
      "basicauth_credentials",
      { username: "", password: "p" },
      { username: "length must be at least 1" },
    ],
    [
      "hmac-auth without a username",
      "hmacauth_credentials",
      {},
      { username: "required field missing" },
    ],
    [
      "key-auth key that is not a string",
      "keyauth_credentials",
      { key: 5 },
      { key: "expected a string" },
    ],
    [
      "key-auth with an unknown field",
      "keyauth_credentials",
      { key: "k", secret: "s" },
      { secret: "unknown field" },
    ],
    [
      "jwt algorithm outside the set",
      "jwt_secrets",
      { key: "iss", algorithm: "none" },
      {
        algorithm:
          "expected one of: HS256, HS384, HS512, RS256, RS384, RS512, ES256, ES384, ES512, PS256, PS384, PS512, EdDSA",
      },
    ],
    [
      "jwt RS256 without a public key",
      "jwt_secrets",
      { key: "iss", algorithm: "RS256" },
      {
        rsa_public_key: "required field missing",
        "@entity": ["failed conditional validation given value of field 'algorithm'"],
      },
    ],
    [
      "jwt ES256 with a public key OpenSSL cannot load",
      "jwt_secrets",
      { key: "iss", algorithm: "ES256", rsa_public_key: "-----BEGIN PUBLIC KEY-----\nnope\n" },
      {
        rsa_public_key: "invalid key",
        "@entity": ["failed conditional validation given value of field 'algorithm'"],
      },
    ],
    [
      "oauth2 without a name",
      "oauth2_credentials",
      { client_id: "c" },
      { name: "required field missing" },
    ],
    [
      "oauth2 redirect URI without a host",
      "oauth2_credentials",
      { name: "app", redirect_uris: ["/callback"] },
      { redirect_uris: ["cannot parse '/callback'"] },
    ],
    [
      "oauth2 redirect URI with a fragment",
      "oauth2_credentials",
      { name: "app", redirect_uris: ["https://app.example/cb#x"] },
      { redirect_uris: ["fragment not allowed in 'https://app.example/cb#x'"] },
    ],
    [
      "oauth2 client type",
      "oauth2_credentials",
      { name: "app", client_type: "private" },
      { client_type: "expected one of: confidential, public" },
    ],
  ])("rejects %s", (_name, collection, credential, errors) => {
    expect(nestedErrors(collection, credential)).toEqual(errors);
  });

  it("accepts every credential type nested under a consumer, linked to it", () => {
    const entities = accepted({
      ...V3,
      consumers: [
        {
          username: "bob",
          acls: [{ group: "admins" }],
          keyauth_credentials: [{ key: "k1" }],
          basicauth_credentials: [{ username: "bob", password: "pw" }],
          hmacauth_credentials: [{ username: "bob-hmac", secret: "hs" }],
          jwt_secrets: [
            { key: "hs-iss", secret: "shh" },
            { key: "rs-iss", algorithm: "RS256", rsa_public_key: RSA_PUBLIC_KEY },
          ],
          oauth2_credentials: [
            { name: "app", client_id: "cid", redirect_uris: ["https://app.example/cb"] },
          ],
        },
      ],
    });
    const consumer = { id: Object.keys(entities["consumers"] ?? {})[0] };
    for (const collection of [
      "acls",
      "keyauth_credentials",
      "basicauth_credentials",
      "hmacauth_credentials",
      "oauth2_credentials",
    ]) {
      expect(onlyOf(entities, collection)["consumer"]).toEqual(consumer);
    }
    expect(Object.values(entities["jwt_secrets"] ?? {})).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ key: "hs-iss", algorithm: "HS256", rsa_public_key: null }),
        expect.objectContaining({ key: "rs-iss", algorithm: "RS256", consumer }),
      ]),
    );
    expect(onlyOf(entities, "oauth2_credentials")).toMatchObject({
      client_type: "confidential",
      hash_secret: false,
    });
    expect(onlyOf(entities, "acls")["group"]).toBe("admins");
    expect(onlyOf(entities, "keyauth_credentials")["key"]).toBe("k1");
    // Kong stores sha1(password .. consumer id), never the password itself.
    expect(onlyOf(entities, "basicauth_credentials")["password"]).toMatch(/^[0-9a-f]{40}$/);
  });

  it("fills auto fields Kong generates (key-auth key, jwt key and secret, oauth2 client)", () => {
    const entities = accepted({
      ...V3,
      consumers: [
        {
          username: "bob",
          keyauth_credentials: [{}],
          jwt_secrets: [{}],
          hmacauth_credentials: [{ username: "h" }],
          oauth2_credentials: [{ name: "app" }],
        },
      ],
    });
    expect(onlyOf(entities, "keyauth_credentials")["key"]).toEqual(expect.any(String));
    expect(onlyOf(entities, "jwt_secrets")).toMatchObject({
      key: expect.any(String) as unknown,
      secret: expect.any(String) as unknown,
    });
    expect(onlyOf(entities, "hmacauth_credentials")["secret"]).toEqual(expect.any(String));
    expect(onlyOf(entities, "oauth2_credentials")["client_secret"]).toEqual(expect.any(String));
  });

  it("accepts top-level credentials that name their consumer", () => {
    const entities = accepted({
      ...V3,
      consumers: [{ username: "bob" }],
      keyauth_credentials: [{ consumer: "bob", key: "k1" }],
      acls: [{ consumer: "bob", group: "g" }],
    });
    const consumer = { id: Object.keys(entities["consumers"] ?? {})[0] };
    expect(onlyOf(entities, "keyauth_credentials")["consumer"]).toEqual(consumer);
    expect(onlyOf(entities, "acls")["consumer"]).toEqual(consumer);
  });

  it("needs a consumer on a top-level credential, and one that exists", () => {
    expect(fieldsOf({ ...V3, acls: [{ group: "g" }] })).toEqual({
      acls: [{ consumer: "required field missing" }],
    });
    expect(fieldsOf({ ...V3, jwt_secrets: [{ consumer: "nobody", key: "iss" }] })).toEqual({
      jwt_secrets: { iss: ["invalid reference 'consumer: nobody' (no such entry in 'consumers')"] },
    });
  });
});

describe("credential uniqueness across consumers", () => {
  it.each<[string, string, Record<string, unknown>, string, string]>([
    ["key-auth key", "keyauth_credentials", { key: "same" }, "key", "same"],
    ["jwt key", "jwt_secrets", { key: "same" }, "key", "same"],
    [
      "basic-auth username",
      "basicauth_credentials",
      { username: "u", password: "p" },
      "username",
      "u",
    ],
    ["hmac-auth username", "hmacauth_credentials", { username: "u" }, "username", "u"],
    ["oauth2 client_id", "oauth2_credentials", { name: "a", client_id: "c" }, "client_id", "c"],
  ])("rejects a second %s at its position", (_name, collection, credential, field, value) => {
    expect(
      fieldsOf({
        ...V3,
        consumers: [
          { username: "a", [collection]: [credential] },
          { username: "b", [collection]: [credential] },
        ],
      }),
    ).toEqual({
      consumers: [null, { [collection]: [uniqueness(collection, field, value)] }],
    });
  });

  it("allows the same acl group on two consumers, but not twice on one", () => {
    const entities = accepted({
      ...V3,
      consumers: [
        { username: "a", acls: [{ group: "g" }] },
        { username: "b", acls: [{ group: "g" }] },
      ],
    });
    const consumerIds = Object.keys(entities["consumers"] ?? {});
    expect(consumerIds).toHaveLength(2);
    const acls = Object.values(entities["acls"] ?? {});
    expect(acls).toHaveLength(2);
    expect(acls.map(a => a["group"])).toEqual(["g", "g"]);
    // One per consumer.
    expect(acls.map(a => (a["consumer"] as { id: string }).id).sort()).toEqual(
      [...consumerIds].sort(),
    );
    const fields = fieldsOf({
      ...V3,
      consumers: [{ username: "a", acls: [{ group: "g" }, { group: "g" }] }],
    }) as { consumers: { acls: unknown[] }[] };
    expect(fields.consumers[0]?.acls[1]).toMatch(
      /^uniqueness violation: 'acls' entity with primary key set to '[0-9a-f-]{36}' already declared$/,
    );
  });
});

describe("mtls_auth_credentials", () => {
  it("is unknown to Kong OSS, nested and top level", () => {
    expect(fieldsOf({ ...V3, mtls_auth_credentials: [] })).toEqual({
      mtls_auth_credentials: "unknown field",
    });
    expect(
      fieldsOf({
        ...V3,
        consumers: [{ username: "bob", mtls_auth_credentials: [{ subject_name: "bob" }] }],
      }),
    ).toEqual({ consumers: [{ mtls_auth_credentials: "unknown field" }] });
  });

  it("is validated where mtls-auth is enabled", () => {
    const enabledPlugins = new Set([...BUNDLED_PLUGINS, "mtls-auth"]);
    expect(
      fieldsOf(
        { ...V3, consumers: [{ username: "bob", mtls_auth_credentials: [{}] }] },
        { enabledPlugins },
      ),
    ).toEqual({
      consumers: [{ mtls_auth_credentials: [{ subject_name: "required field missing" }] }],
    });
    const entities = accepted(
      { ...V3, consumers: [{ username: "bob", mtls_auth_credentials: [{ subject_name: "bob" }] }] },
      { enabledPlugins },
    );
    expect(onlyOf(entities, "mtls_auth_credentials")).toMatchObject({
      subject_name: "bob",
      ca_certificate: null,
    });
  });
});
