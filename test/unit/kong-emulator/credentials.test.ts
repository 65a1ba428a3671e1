/**
 * The emulator's contract for consumer credentials (kong-admin-api.md §2.2, §3, §10): POST /config
 * takes them nested and top level, the read-only endpoints list them under Kong's paths, and a
 * rejection reports the credential as Kong does.
 */
import { describe, expect, it } from "vitest";
import { call, emulator, postJson } from "./helpers.ts";

const TAGS = ["k8s-name:alice-key", "k8s-namespace:default", "k8s-kind:Secret", "k8s-version:v1"];

const CONSUMERS = {
  _format_version: "3.0",
  consumers: [
    {
      username: "alice",
      keyauth_credentials: [{ key: "alice-key", tags: TAGS }],
      basicauth_credentials: [{ username: "alice", password: "pw" }],
      hmacauth_credentials: [{ username: "alice-hmac", secret: "hs" }],
      jwt_secrets: [{ key: "alice-iss", secret: "jwt-secret" }],
      acls: [{ group: "admins" }],
      oauth2_credentials: [{ name: "app", client_id: "alice-app", client_secret: "cs" }],
    },
  ],
  keyauth_credentials: [{ consumer: "alice", key: "alice-second-key" }],
};

type List = { data: Record<string, unknown>[]; next: null };

describe("consumer credentials", () => {
  it("loads every credential type and lists each under Kong's paths", async () => {
    const emu = await emulator();
    expect((await postJson(emu.url, CONSUMERS)).status).toBe(201);
    const lengths: Record<string, number> = {};
    for (const path of ["/key-auths", "/basic-auths", "/hmac-auths", "/jwts", "/acls", "/oauth2"]) {
      const res = await call(emu.url, path);
      expect(res.status).toBe(200);
      lengths[path] = (res.json as List).data.length;
    }
    expect(lengths).toEqual({
      "/key-auths": 2,
      "/basic-auths": 1,
      "/hmac-auths": 1,
      "/jwts": 1,
      "/acls": 1,
      "/oauth2": 1,
    });
  });

  it("finds a credential by its endpoint key and a consumer's credentials by nested name", async () => {
    const emu = await emulator();
    await postJson(emu.url, CONSUMERS);
    const byKey = await call(emu.url, "/jwts/alice-iss");
    expect(byKey.status).toBe(200);
    expect(byKey.json).toMatchObject({ key: "alice-iss", algorithm: "HS256" });
    expect((await call(emu.url, "/oauth2/alice-app")).json).toMatchObject({ name: "app" });
    const nested = await call(emu.url, "/consumers/alice/key-auth");
    expect((nested.json as List).data.map(c => c["key"]).sort()).toEqual([
      "alice-key",
      "alice-second-key",
    ]);
    expect((await call(emu.url, "/consumers/alice/jwt")).status).toBe(200);
    expect((await call(emu.url, "/consumers/alice/key-auths")).status).toBe(404);
  });

  it("rejects a key-auth key used twice, naming the credential and echoing Kong's message", async () => {
    const emu = await emulator();
    const doc = {
      _format_version: "3.0",
      consumers: [
        { username: "alice", keyauth_credentials: [{ key: "shared" }] },
        { username: "bob", keyauth_credentials: [{ key: "shared", tags: TAGS }] },
      ],
    };
    const res = await postJson(emu.url, doc, "?flatten_errors=1");
    expect(res.status).toBe(400);
    expect((res.json as { flattened_errors: unknown[] }).flattened_errors).toEqual([
      expect.objectContaining({
        entity_type: "keyauth_credential",
        entity_tags: TAGS,
        errors: [
          {
            type: "entity",
            message:
              "uniqueness violation: 'keyauth_credentials' entity with key set to 'shared' already declared",
          },
        ],
      }),
    ]);
  });

  it("rejects a jwt secret whose RS256 key is missing, with the field and entity errors", async () => {
    const emu = await emulator();
    const doc = {
      _format_version: "3.0",
      consumers: [{ username: "alice", jwt_secrets: [{ key: "iss", algorithm: "RS256" }] }],
    };
    const res = await postJson(emu.url, doc, "?flatten_errors=1");
    expect(res.status).toBe(400);
    expect(
      (res.json as { flattened_errors: { errors: unknown[] }[] }).flattened_errors[0]?.errors,
    ).toEqual([
      { type: "field", field: "rsa_public_key", message: "required field missing" },
      {
        type: "entity",
        message: "failed conditional validation given value of field 'algorithm'",
      },
    ]);
  });

  it("treats mtls-auth credentials as Kong OSS does, and accepts them where mtls-auth is loaded", async () => {
    const doc = {
      _format_version: "3.0",
      consumers: [{ username: "alice", mtls_auth_credentials: [{ subject_name: "alice" }] }],
    };
    const oss = await emulator();
    const res = await postJson(oss.url, doc);
    expect(res.status).toBe(400);
    expect(res.json).toMatchObject({
      fields: { consumers: [{ mtls_auth_credentials: "unknown field" }] },
    });
    const enterprise = await emulator({ enabledPlugins: ["key-auth", "mtls-auth"] });
    expect((await postJson(enterprise.url, doc)).status).toBe(201);
    const listed = await call(enterprise.url, "/consumers/alice/mtls-auth");
    expect((listed.json as List).data).toEqual([
      expect.objectContaining({ subject_name: "alice", ca_certificate: null }),
    ]);
  });
});
