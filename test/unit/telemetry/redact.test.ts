import { describe, expect, it } from "vitest";
import { REDACTED_VALUE, redactPemKeys, redactSecrets } from "../../../src/telemetry/redact.ts";
import { deepFreeze } from "../../../src/util/deep-freeze.ts";

describe("redactSecrets", () => {
  const config = deepFreeze({
    _format_version: "3.0",
    certificates: [
      { id: "c1", cert: "-----BEGIN CERTIFICATE-----", key: "-----BEGIN PRIVATE KEY-----" },
    ],
    consumers: [
      {
        username: "alice",
        keyauth_credentials: [{ key: "k1" }],
        basicauth_credentials: [{ username: "alice", password: "p" }],
        hmacauth_credentials: [{ username: "alice", secret: "s" }],
        oauth2_credentials: [{ name: "app", client_id: "id", client_secret: "cs" }],
      },
    ],
    services: [
      {
        name: "svc",
        host: "web",
        port: 80,
        plugins: [{ name: "key-auth", config: { key_names: ["apikey"] } }],
      },
    ],
  });

  const redacted = redactSecrets(config) as typeof config;

  it.each([
    ["certificate key", () => redacted.certificates[0]?.key],
    ["key-auth key", () => redacted.consumers[0]?.keyauth_credentials[0]?.key],
    ["basic-auth password", () => redacted.consumers[0]?.basicauth_credentials[0]?.password],
    ["hmac secret", () => redacted.consumers[0]?.hmacauth_credentials[0]?.secret],
    ["oauth2 client secret", () => redacted.consumers[0]?.oauth2_credentials[0]?.client_secret],
  ])("redacts the %s", (_name, get) => {
    expect(get()).toBe(REDACTED_VALUE);
  });

  it("keeps everything else", () => {
    expect(redacted.certificates[0]?.cert).toBe("-----BEGIN CERTIFICATE-----");
    expect(redacted.consumers[0]?.oauth2_credentials[0]?.client_id).toBe("id");
    expect(redacted.services).toEqual(config.services);
  });

  it("does not touch its (frozen) input", () => {
    expect(config.certificates[0]?.key).toBe("-----BEGIN PRIVATE KEY-----");
  });
});

describe("PEM private keys in any string", () => {
  const key = "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIB\n-----END EC PRIVATE KEY-----";
  const cert = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----";

  it("cuts a key bundled into a certificate, keeping the certificate", () => {
    const redacted = redactSecrets({ certificates: [{ cert: `${cert}\n${key}\n` }] }) as {
      certificates: { cert: string }[];
    };
    expect(redacted.certificates[0]?.cert).toBe(`${cert}\n${REDACTED_VALUE}\n`);
  });

  it("cuts keys out of plain text, an unterminated block included", () => {
    expect(redactPemKeys(`before ${key} after`)).toBe(`before ${REDACTED_VALUE} after`);
    expect(redactPemKeys("x -----BEGIN PRIVATE KEY-----\nMIIE")).toBe(`x ${REDACTED_VALUE}`);
    expect(redactPemKeys(cert)).toBe(cert);
  });
});
