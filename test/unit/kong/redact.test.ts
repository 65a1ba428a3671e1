import { readFileSync } from "node:fs";
import { describe, expect, it, vi } from "vitest";
import {
  REDACTED,
  REMEMBERED_CONFIGS,
  redactConfig,
  scrubText,
  SECRET_CONFIG_TAG,
  SecretScrubber,
  secretValues,
  stripPrivateKeys,
} from "../../../src/kong/redact.ts";
import { validateDeclarativeConfig } from "../../../src/kong/validate/index.ts";
import { deepFreeze } from "../../../src/util/deep-freeze.ts";

const PRIVATE_KEY = readFileSync(
  new URL("../../fixtures/certs/api.key", import.meta.url),
  "utf8",
).trim();

const CONFIG = deepFreeze({
  _format_version: "3.0",
  certificates: [{ id: "c1", cert: "-----BEGIN CERTIFICATE-----x", key: PRIVATE_KEY }],
  consumers: [
    {
      username: "alice",
      custom_id: "alice-id",
      keyauth_credentials: [{ key: "alice-api-key" }],
      basicauth_credentials: [{ username: "alice", password: "alice-password" }],
      hmacauth_credentials: [{ username: "alice-hmac", secret: "alice-hmac-secret" }],
      jwt_secrets: [
        { key: "alice-iss", secret: "alice-jwt-secret", algorithm: "HS256" },
        { key: "alice-rs", algorithm: "RS256", rsa_public_key: "-----BEGIN PUBLIC KEY-----y" },
      ],
      oauth2_credentials: [{ name: "app", client_id: "alice-app", client_secret: "alice-cs" }],
      acls: [{ group: "admins" }],
      plugins: [{ name: "rate-limiting", config: { minute: 5 } }],
    },
  ],
  keyauth_credentials: [{ consumer: "alice", key: "top-level-key" }],
  services: [
    {
      name: "svc",
      host: "web",
      port: 80,
      plugins: [
        {
          name: "request-transformer",
          tags: ["k8s-name:auth-header", SECRET_CONFIG_TAG],
          config: { add: { headers: ["Authorization:Bearer upstream-token"] } },
        },
        {
          name: "rate-limiting",
          config: { minute: 10, policy: "redis", redis: { host: "redis", password: "redis-pw" } },
        },
      ],
      routes: [{ name: "r", paths: ["/"], plugins: [{ name: "key-auth", config: {} }] }],
    },
  ],
});

describe("redactConfig", () => {
  const redacted = redactConfig(CONFIG);
  const alice = redacted.consumers[0]!;
  const plugins = redacted.services[0]!.plugins;

  it.each<[string, () => unknown]>([
    ["certificate key", () => redacted.certificates[0]?.key],
    ["key-auth key", () => alice.keyauth_credentials[0]?.key],
    ["top-level key-auth key", () => redacted.keyauth_credentials[0]?.key],
    ["basic-auth password", () => alice.basicauth_credentials[0]?.password],
    ["hmac-auth secret", () => alice.hmacauth_credentials[0]?.secret],
    ["jwt secret", () => alice.jwt_secrets[0]?.secret],
    ["oauth2 client secret", () => alice.oauth2_credentials[0]?.client_secret],
    ["redis password of a plugin", () => plugins[1]?.config.redis?.password],
    ["header of a Secret-fed plugin", () => plugins[0]?.config.add?.headers[0]],
  ])("hides the %s", (_name, get) => {
    expect(get()).toBe(REDACTED);
  });

  it("keeps what identifies an entity and public keys", () => {
    expect(alice.username).toBe("alice");
    expect(alice.basicauth_credentials[0]?.username).toBe("alice");
    expect(alice.jwt_secrets[0]?.key).toBe("alice-iss");
    expect(alice.jwt_secrets[1]?.rsa_public_key).toBe("-----BEGIN PUBLIC KEY-----y");
    expect(alice.oauth2_credentials[0]?.client_id).toBe("alice-app");
    expect(alice.acls).toEqual(CONFIG.consumers[0]?.acls);
    expect(plugins[1]?.config).toMatchObject({
      minute: 10,
      policy: "redis",
      redis: { host: "redis" },
    });
    expect(redacted.services[0]?.routes).toEqual(CONFIG.services[0]?.routes);
    expect(redacted.certificates[0]?.cert).toBe(CONFIG.certificates[0]?.cert);
  });

  it("leaves its (frozen) input alone", () => {
    expect(CONFIG.certificates[0]?.key).toBe(PRIVATE_KEY);
  });

  it("redacts Kong's normalised entity map the same way", () => {
    const result = validateDeclarativeConfig({
      ...CONFIG,
      certificates: [],
      consumers: CONFIG.consumers.map(c => ({ ...c, jwt_secrets: c.jwt_secrets.slice(0, 1) })),
    });
    if (!result.ok) throw new Error(result.error.message);
    const text = JSON.stringify(redactConfig(result.entities));
    for (const secret of [
      "alice-api-key",
      "alice-jwt-secret",
      "alice-cs",
      "redis-pw",
      "upstream-token",
    ])
      expect(text).not.toContain(secret);
    expect(text).toContain(REDACTED);
  });

  it("redacts the entity of a flattened error entry", () => {
    const body = {
      flattened_errors: [
        { entity_type: "keyauth_credential", entity: { key: "leaked-key" }, errors: [] },
      ],
    };
    expect(redactConfig(body).flattened_errors[0]?.entity.key).toBe(REDACTED);
  });

  it("cuts a private key bundled into a certificate, keeping the certificate", () => {
    const cert = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----";
    const bundled = { certificates: [{ cert: `${cert}\n${PRIVATE_KEY}\n` }] };
    expect(redactConfig(bundled).certificates[0]?.cert).toBe(`${cert}\n${REDACTED}\n`);
    expect(stripPrivateKeys(cert)).toBe(cert);
  });

  it("strips private keys from any string, terminated or not", () => {
    const text = `before ${PRIVATE_KEY} after`;
    expect(stripPrivateKeys(text)).toBe(`before ${REDACTED} after`);
    expect(stripPrivateKeys("x -----BEGIN EC PRIVATE KEY-----\nMHcC")).toBe(`x ${REDACTED}`);
    expect(redactConfig({ annotations: { note: text } }).annotations.note).not.toContain("MII");
  });
});

describe("scrubbing text by value", () => {
  const secrets = secretValues(CONFIG);

  it("knows exactly the values redaction hides", () => {
    expect([...secrets].sort()).toEqual(
      [
        PRIVATE_KEY,
        "alice-api-key",
        "top-level-key",
        "alice-password",
        "alice-hmac-secret",
        "alice-jwt-secret",
        "alice-cs",
        "redis-pw",
        "Authorization:Bearer upstream-token",
      ].sort(),
    );
  });

  it("replaces a secret Kong echoes in a message", () => {
    expect(
      scrubText(
        "uniqueness violation: 'keyauth_credentials' entity with key set to 'alice-api-key' already declared",
        secrets,
      ),
    ).toBe(
      `uniqueness violation: 'keyauth_credentials' entity with key set to '${REDACTED}' already declared`,
    );
  });

  it("keeps values too short to scrub without garbling the message", () => {
    expect(secretValues({ keyauth_credentials: [{ key: "abc" }] })).toEqual(new Set());
  });

  it("learns a changed consumer's secrets while reusing what it found in unchanged ones", () => {
    const unchanged = deepFreeze({ username: "a", keyauth_credentials: [{ key: "kept-key" }] });
    const scrubber = new SecretScrubber();
    scrubber.remember({ consumers: [unchanged, { username: "b" }] });
    scrubber.remember({
      consumers: [unchanged, { username: "b", keyauth_credentials: [{ key: "new-key" }] }],
    });
    expect(scrubber.scrubText("kept-key new-key")).toBe(`${REDACTED} ${REDACTED}`);
  });

  it("remembers the secrets of the last configs only", () => {
    const scrubber = new SecretScrubber();
    scrubber.remember({ keyauth_credentials: [{ key: "first-key" }] });
    expect(scrubber.scrubText("got first-key")).toBe(`got ${REDACTED}`);
    for (let i = 0; i < REMEMBERED_CONFIGS; i++) scrubber.remember({ _format_version: "3.0" });
    expect(scrubber.scrubText("got first-key")).toBe("got first-key");
    expect(scrubber.scrubDeep({ a: [`x ${PRIVATE_KEY}`] })).toEqual({ a: [`x ${REDACTED}`] });
  });

  it("replaces a secret that contains another whole, whatever order they were learnt in", () => {
    const scrubber = new SecretScrubber();
    scrubber.remember({ keyauth_credentials: [{ key: "team-key" }] });
    scrubber.remember({ keyauth_credentials: [{ key: "team-key" }, { key: "team-key-extended" }] });
    expect(scrubber.scrubText("a team-key-extended b team-key")).toBe(
      `a ${REDACTED} b ${REDACTED}`,
    );
    expect(scrubber.scrubDeep({ m: ["team-key-extended"] })).toEqual({ m: [REDACTED] });
    expect(scrubText("x team-key-extended", ["team-key", "team-key-extended"])).toBe(
      `x ${REDACTED}`,
    );
  });

  it("does not sort the remembered secrets again for every string it scrubs", () => {
    const scrubber = new SecretScrubber();
    scrubber.remember({
      keyauth_credentials: [{ key: "first-key" }, { key: "second-longer-key" }],
    });
    const sort = vi.spyOn(Array.prototype, "sort");
    try {
      for (let i = 0; i < 3; i++) scrubber.scrubText(`line ${String(i)} second-longer-key`);
      scrubber.scrubDeep({ a: ["first-key"] });
      expect(sort).not.toHaveBeenCalled();
    } finally {
      sort.mockRestore();
    }
  });
});
