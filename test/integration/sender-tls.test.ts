/**
 * The Admin API client against a real TLS listener on loopback: custom CA, SNI/server name, mTLS client
 * certificate, skip-verify, and a token header. Kong OSS protects its Admin API with exactly these
 * (kong-admin-api.md §7).
 */
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AdminClient, type AdminTlsOptions } from "../../src/kong/admin-client.ts";
import { systemClock } from "../../src/util/clock.ts";

const certs = new URL("../fixtures/certs/", import.meta.url);
const read = (name: string): string => readFileSync(new URL(name, certs), "utf8");
const serverCert = read("api.crt");
const serverKey = read("api.key");
const clientCert = read("shop.crt");
const clientKey = read("shop.key");

const HASH = "0123456789abcdef0123456789abcdef";
const TOKEN = "t0ken-never-logged";

let server: Server;
let url: string;

beforeAll(async () => {
  server = createServer(
    {
      cert: serverCert,
      key: serverKey,
      // mTLS as Kong's chart sets it up: only clients with a certificate this CA signed get in.
      ca: clientCert,
      requestCert: true,
      rejectUnauthorized: true,
    },
    (req, res) => {
      if (req.headers["kong-admin-token"] !== TOKEN) {
        res.writeHead(401, { "content-type": "application/json" });
        res.end('{"message":"Invalid credentials. Token or User credentials required"}');
        return;
      }
      res.writeHead(200, { "content-type": "application/json; charset=utf-8" });
      res.end(JSON.stringify({ configuration_hash: HASH }));
    },
  );
  await new Promise<void>(resolve => server.listen(0, "127.0.0.1", resolve));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise(resolve => server.close(resolve));
});

const trusted: AdminTlsOptions = {
  ca: serverCert,
  serverName: "api.example.com",
  cert: clientCert,
  key: clientKey,
};

async function statusWith(tls: AdminTlsOptions, token = TOKEN) {
  const client = new AdminClient({
    url,
    clock: systemClock,
    tls,
    token,
    timeouts: { baseMs: 5000 },
  });
  try {
    return await client.status();
  } finally {
    await client.close();
  }
}

describe("Admin API client over TLS", () => {
  it("verifies the server with a custom CA and authenticates with a client certificate", async () => {
    expect(await statusWith(trusted)).toEqual({ ok: true, value: { configuration_hash: HASH } });
  });

  it("accepts any server certificate with skip-verify (development only)", async () => {
    const outcome = await statusWith({ cert: clientCert, key: clientKey, skipVerify: true });
    expect(outcome.ok).toBe(true);
  });

  it.each([
    ["an unknown CA", { cert: clientCert, key: clientKey }],
    ["a server name the certificate does not cover", { ...trusted, serverName: "kong.internal" }],
  ])("refuses %s as a TLS failure", async (_name, tls) => {
    const outcome = await statusWith(tls);
    expect(
      outcome.ok ? "ok" : [outcome.error.code, "reason" in outcome.error && outcome.error.reason],
    ).toEqual(["ERR_KONG_UNREACHABLE", "tls"]);
  });

  it("is refused without a client certificate, and says so without secrets", async () => {
    const outcome = await statusWith({ ca: serverCert, serverName: "api.example.com" });
    expect(outcome.ok).toBe(false);
    expect(outcome.ok ? "" : outcome.error.code).toBe("ERR_KONG_UNREACHABLE");
    expect(JSON.stringify(outcome)).not.toContain(TOKEN);
  });

  it("reports a missing token as HTTP 401 and never echoes the token it sent", async () => {
    const wrong = await statusWith(trusted, "wrong-token-value");
    expect(wrong.ok ? "" : wrong.error.message).toBe(
      `Kong Admin API ${url} answered HTTP 401: Invalid credentials. Token or User credentials required`,
    );
    expect(JSON.stringify(wrong)).not.toContain("wrong-token-value");
  });
});
