import { createHash } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { MockAgent } from "undici";
import {
  AdminClient,
  createAdminClients,
  DEFAULT_ADMIN_TIMEOUTS,
  encodeConfig,
  encodeConfigText,
  requestTimeoutMs,
  type AdminClientOptions,
} from "../../../src/kong/admin-client.ts";
import { EMPTY_CONFIG_HASH, type KongConfig } from "../../../src/kong/types.ts";
import { ManualClock, settle } from "../../support/manual-clock.ts";

const ORIGIN = "http://kong.test:8001";
const HASH = "0123456789abcdef0123456789abcdef";

const config: KongConfig = {
  _format_version: "3.0",
  services: [{ name: "shop.web.80", protocol: "http", host: "web.shop.80.svc", port: 80 }],
};

let agent: MockAgent;
let clock: ManualClock;

beforeEach(() => {
  agent = new MockAgent().enableCallHistory();
  agent.disableNetConnect();
  clock = new ManualClock();
});

afterEach(async () => {
  await agent.close();
});

function client(options: Partial<AdminClientOptions> = {}): AdminClient {
  return new AdminClient({ url: ORIGIN, clock, dispatcher: agent, ...options });
}

function lastCall() {
  const call = agent.getCallHistory()?.lastCall();
  if (call === undefined) throw new Error("no request was made");
  return call;
}

describe("encodeConfig", () => {
  it("sends canonical JSON whose md5 is the hash Kong will report", () => {
    const encoded = encodeConfig(config);
    expect(encoded.contentType).toBe("application/yaml");
    expect(JSON.parse(encoded.body)).toEqual(config);
    expect(encoded.bytes).toBe(Buffer.byteLength(encoded.body));
    expect(encoded.hash).toBe(createHash("md5").update(encoded.body).digest("hex"));
  });

  it("gives equal bytes for equal configs built in another key order", () => {
    const reordered = {
      services: [{ port: 80, host: "web.shop.80.svc", protocol: "http", name: "shop.web.80" }],
      _format_version: "3.0",
    } as unknown as KongConfig;
    expect(encodeConfig(reordered).body).toBe(encodeConfig(config).body);
  });

  it.each([
    [{ _format_version: "3.0" }],
    [{ _format_version: "3.0", services: [], upstreams: [] }],
  ])("uses Kong's zero hash for a config without entities: %j", empty => {
    expect(encodeConfig(empty as KongConfig).hash).toBe(EMPTY_CONFIG_HASH);
  });

  it("hashes text as given", () => {
    const text = "_format_version: '3.0'\nservices:\n- name: a\n  host: b\n";
    expect(encodeConfigText(text, { services: [{}] }).hash).toBe(
      createHash("md5").update(text).digest("hex"),
    );
  });
});

describe("requestTimeoutMs", () => {
  const timeouts = { baseMs: 10_000, perMiBMs: 5_000, maxMs: 60_000 };

  it.each([
    [0, 10_000],
    [1024 * 1024, 15_000],
    [5 * 1024 * 1024 + 1, 35_001],
    [100 * 1024 * 1024, 60_000],
  ])("%i bytes → %i ms", (bytes, ms) => {
    expect(requestTimeoutMs(bytes, timeouts)).toBe(ms);
  });

  it("never goes below the base", () => {
    expect(requestTimeoutMs(0, { baseMs: 5000, perMiBMs: 0, maxMs: 1000 })).toBe(5000);
  });
});

describe("AdminClient requests", () => {
  it("reads GET /status under the URL's path prefix, with auth headers", async () => {
    agent
      .get(ORIGIN)
      .intercept({ path: "/kong-admin/status", method: "GET" })
      .reply(200, { configuration_hash: HASH });
    const admin = client({
      url: `${ORIGIN}/kong-admin/`,
      token: "s3cret-token",
      headers: [{ name: "X-Tenant", value: "blue" }],
    });
    expect(await admin.status()).toEqual({ ok: true, value: { configuration_hash: HASH } });
    expect(admin.url).toBe(`${ORIGIN}/kong-admin`);
    expect(lastCall().headers).toMatchObject({
      "kong-admin-token": "s3cret-token",
      "x-tenant": "blue",
      accept: "application/json",
    });
  });

  it("lets an explicit Kong-Admin-Token header win over the token option", async () => {
    agent.get(ORIGIN).intercept({ path: "/status" }).reply(200, { configuration_hash: HASH });
    await client({ token: "a", headers: [{ name: "Kong-Admin-Token", value: "b" }] }).status();
    expect(lastCall().headers).toMatchObject({ "kong-admin-token": "b" });
  });

  it("turns URL userinfo into Basic auth and keeps it out of the display URL", async () => {
    agent.get(ORIGIN).intercept({ path: "/" }).reply(401, { message: "Invalid credentials" });
    const admin = client({ url: "http://admin:p%40ss@kong.test:8001" });
    const outcome = await admin.root();
    expect(lastCall().headers).toMatchObject({
      authorization: `Basic ${Buffer.from("admin:p@ss").toString("base64")}`,
    });
    expect(admin.url).toBe(ORIGIN);
    expect(outcome.ok).toBe(false);
    expect(outcome.ok ? "" : outcome.error.message).toBe(
      "Kong Admin API http://kong.test:8001 answered HTTP 401: Invalid credentials",
    );
  });

  it("refuses userinfo with a malformed escape as a setting error that does not quote it", () => {
    const build = (): AdminClient => client({ url: "http://admin:p%zz@kong.test:8001/admin" });
    expect(build).toThrow(
      expect.objectContaining({
        code: "ERR_CONFIG_INVALID",
        message:
          "Kong Admin API URL http://kong.test:8001/admin: its user info has a malformed percent-escape",
      }),
    );
  });

  it("posts the encoded bytes as YAML with check_hash and flatten_errors", async () => {
    agent
      .get(ORIGIN)
      .intercept({ path: "/config?check_hash=1&flatten_errors=1", method: "POST" })
      .reply(201, { services: {} });
    const encoded = encodeConfig(config);
    expect(await client().postConfig(encoded)).toEqual({ kind: "applied", status: 201 });
    const call = lastCall();
    // Sent as the encoder's UTF-8 chunks, which are the body's bytes.
    expect(Buffer.concat(call.body as unknown as Uint8Array[]).toString("utf8")).toBe(encoded.body);
    expect(call.headers).toMatchObject({
      "content-type": "application/yaml",
      "content-length": String(encoded.bytes),
    });
  });

  it("reads GET /config", async () => {
    agent
      .get(ORIGIN)
      .intercept({ path: "/config" })
      .reply(200, { config: "_format_version: '3.0'\n" });
    expect(await client().config()).toEqual({
      ok: true,
      value: { config: "_format_version: '3.0'\n" },
    });
  });

  it("reports a refused connection as unreachable, without secrets in the message", async () => {
    agent
      .get(ORIGIN)
      .intercept({ path: "/status" })
      .replyWithError(Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }));
    const outcome = await client({ token: "s3cret-token" }).status();
    if (outcome.ok) throw new Error("expected a failure");
    expect(outcome.error.code).toBe("ERR_KONG_UNREACHABLE");
    expect(outcome.error.message).toBe(
      "Kong Admin API http://kong.test:8001 unreachable (refused)",
    );
    expect(JSON.stringify(outcome.error)).not.toContain("s3cret");
  });

  it("gives up at the deadline of the injected clock", async () => {
    agent
      .get(ORIGIN)
      .intercept({ path: "/config?check_hash=1&flatten_errors=1", method: "POST" })
      .reply(201, {})
      .delay(3_600_000);
    const timeouts = { baseMs: 1000, perMiBMs: 0, maxMs: 1000 };
    const pending = client({ timeouts }).postConfig(encodeConfig(config));
    await settle();
    expect(clock.pendingDelays()).toEqual([1000]);
    await clock.advance(999);
    let settled = false;
    void pending.then(() => (settled = true));
    await settle();
    expect(settled).toBe(false);
    await clock.advance(1);
    const outcome = await pending;
    expect(outcome.kind === "unreachable" && outcome.error.reason).toBe("timeout");
  });

  it("abandons a request when the caller's signal aborts, without calling it a timeout", async () => {
    agent
      .get(ORIGIN)
      .intercept({ path: "/status" })
      .reply(200, { configuration_hash: HASH })
      .delay(3_600_000);
    const controller = new AbortController();
    const pending = client().status(controller.signal);
    await settle();
    controller.abort(new Error("stopping"));
    const outcome = await pending;
    expect(
      outcome.ok
        ? "ok"
        : [outcome.error.code, "reason" in outcome.error ? outcome.error.reason : ""],
    ).toEqual(["ERR_KONG_UNREACHABLE", "other"]);
    expect(clock.pending).toBe(0);
  });

  it("scales the deadline with the body size", async () => {
    agent
      .get(ORIGIN)
      .intercept({ path: "/config?check_hash=1&flatten_errors=1", method: "POST" })
      .reply(201, {});
    const big: KongConfig = {
      _format_version: "3.0",
      services: Array.from({ length: 20_000 }, (_, i) => ({
        name: `svc-${i}`,
        protocol: "http" as const,
        host: `host-${i}.example`,
        port: 80,
      })),
    };
    const encoded = encodeConfig(big);
    await client().postConfig(encoded);
    expect(clock.sleeps).toEqual([requestTimeoutMs(encoded.bytes, DEFAULT_ADMIN_TIMEOUTS)]);
    expect(clock.sleeps[0]).toBeGreaterThan(DEFAULT_ADMIN_TIMEOUTS.baseMs);
    expect(clock.pending).toBe(0);
  });
});

describe("createAdminClients", () => {
  it("makes one client per distinct URL with shared settings", async () => {
    agent
      .get("http://a.test:8001")
      .intercept({ path: "/status" })
      .reply(200, { configuration_hash: HASH });
    const clients = createAdminClients({
      urls: [
        "http://a.test:8001",
        "http://b.test:8444/",
        "http://a.test:8001",
        "http://b.test:8444",
      ],
      token: "t",
      clock,
      dispatcher: agent,
    });
    expect(clients.map(c => c.url)).toEqual(["http://a.test:8001", "http://b.test:8444"]);
    await clients[0]!.status();
    expect(lastCall().headers).toMatchObject({ "kong-admin-token": "t" });
  });
});
