import { request } from "node:http";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { EMPTY_CONFIG_HASH } from "../../../src/kong/types.ts";
import { call, emulator, postJson, SERVICE_DOC } from "./helpers.ts";

describe("GET / (§4)", () => {
  it("reports version, DB-less mode, router flavour and listeners in Kong's shape", async () => {
    const emu = await emulator({ version: "3.9.1", statusListener: true });
    const res = await call(emu.url, "/");
    expect(res.status).toBe(200);
    const body = res.json as Record<string, Record<string, unknown>>;
    expect(body).toMatchObject({
      version: "3.9.1",
      edition: "community",
      tagline: "Welcome to kong",
    });
    expect(body["node_id"]).toMatch(/^[0-9a-f-]{36}$/);
    const config = body["configuration"]!;
    expect(config).toMatchObject({
      database: "off",
      router_flavor: "traditional_compatible",
      stream_listen: ["off"],
    });
    expect(config["stream_listeners"]).toEqual({});
    expect(config["proxy_listen"]).toEqual([
      "0.0.0.0:8000 reuseport backlog=16384",
      "0.0.0.0:8443 http2 ssl reuseport backlog=16384",
    ]);
    expect((config["proxy_listeners"] as unknown[])[1]).toEqual({
      ip: "0.0.0.0",
      port: 8443,
      listener: "0.0.0.0:8443 ssl reuseport backlog=16384",
      ssl: true,
      http2: true,
      proxy_protocol: false,
      deferred: false,
      bind: false,
      reuseport: true,
      "backlog=16384": true,
      "ipv6only=on": false,
      "ipv6only=off": false,
      "so_keepalive=on": false,
      "so_keepalive=off": false,
      "so_keepalive=%w*:%w*:%d*": false,
    });
    expect((config["status_listeners"] as { port: number }[])[0]?.port).toBe(
      Number(new URL(emu.statusUrl!).port),
    );
  });

  it("lists stream listeners, expanded IPv6 and string ports when configured", async () => {
    const emu = await emulator({
      proxyListeners: [{ ip: "::1", port: "8000" }],
      streamListeners: [{ port: 9000, udp: true }],
    });
    const config = ((await call(emu.url, "/")).json as { configuration: Record<string, unknown> })
      .configuration;
    expect(config["proxy_listeners"]).toMatchObject([
      { ip: "[0000:0000:0000:0000:0000:0000:0000:0001]", port: "8000", "backlog=%d+": false },
    ]);
    expect(config["stream_listeners"]).toMatchObject([
      { port: 9000, udp: true, listener: "0.0.0.0:9000 udp" },
    ]);
    emu.setListeners([{ port: 80 }]);
    const after = ((await call(emu.url, "/")).json as { configuration: Record<string, unknown> })
      .configuration;
    expect(after["proxy_listen"]).toEqual(["0.0.0.0:80"]);
    expect(after["stream_listeners"]).toEqual({});
  });

  it("applies configuration overrides and lists plugins in use", async () => {
    const emu = await emulator({
      configurationOverrides: { database: "postgres", router_flavor: undefined },
    });
    await postJson(emu.url, { _format_version: "3.0", plugins: [{ name: "cors" }] });
    const body = (await call(emu.url, "/")).json as {
      configuration: Record<string, unknown>;
      plugins: { enabled_in_cluster: string[]; available_on_server: Record<string, unknown> };
    };
    expect(body.configuration["database"]).toBe("postgres");
    expect(body.configuration).not.toHaveProperty("router_flavor");
    expect(body.plugins.enabled_in_cluster).toEqual(["cors"]);
    expect(body.plugins.available_on_server["key-auth"]).toEqual({
      version: "3.9.1",
      priority: 1250,
    });
  });
});

describe("GET /status and /status/ready (§5)", () => {
  it("reports the configuration hash without a database key", async () => {
    const emu = await emulator();
    const res = await call(emu.url, "/status");
    expect(res.json).toMatchObject({ configuration_hash: EMPTY_CONFIG_HASH });
    expect(res.json).not.toHaveProperty("database");
    expect(res.json).toHaveProperty("server.total_requests");
  });

  it("keeps the pre-3.4 shape on request", async () => {
    const emu = await emulator({ legacyStatus: true });
    expect((await call(emu.url, "/status")).json).toHaveProperty("database", { reachable: true });
  });

  it("answers readiness on the status listener only", async () => {
    const emu = await emulator({ statusListener: true });
    const status = emu.statusUrl!;
    expect(await call(status, "/status/ready")).toMatchObject({
      status: 503,
      json: { message: "no configuration available (empty configuration present)" },
    });
    expect((await call(emu.url, "/status/ready")).status).toBe(404);
    await postJson(emu.url, SERVICE_DOC);
    expect(await call(status, "/status/ready")).toMatchObject({
      status: 200,
      json: { message: "ready" },
    });
    expect((await call(status, "/status")).json).toMatchObject({
      configuration_hash: emu.configHash(),
    });
    const drain = await call(status, "/status/ready", {
      method: "POST",
      body: "status=draining",
      contentType: "application/x-www-form-urlencoded",
    });
    expect(drain.status).toBe(204);
    expect(await call(status, "/status/ready")).toMatchObject({
      status: 503,
      json: { message: "draining" },
    });
  });
});

describe("common behaviour (§1)", () => {
  it("sends Kong's headers", async () => {
    const emu = await emulator({ version: "3.4.1" });
    const res = await call(emu.url, "/status", { headers: { origin: "http://ui.example" } });
    expect(res.headers.get("content-type")).toBe("application/json; charset=utf-8");
    expect(res.headers.get("server")).toBe("kong/3.4.1");
    expect(res.headers.get("x-kong-admin-latency")).toMatch(/^\d+$/);
    expect(res.headers.get("access-control-allow-origin")).toBe("http://ui.example");
    expect(res.headers.get("access-control-allow-credentials")).toBe("true");
    expect(res.headers.get("content-length")).toBe(String(Buffer.byteLength(res.text)));
  });

  it.each([
    ["GET", "/nope", 404, { message: "Not found" }],
    ["DELETE", "/config", 405, { message: "Method not allowed" }],
    ["GET", "/config/", 200, undefined],
    [
      "POST",
      "/routes",
      405,
      {
        code: 12,
        name: "operation unsupported",
        message: "cannot create 'routes' entities when not using a database",
      },
    ],
    [
      "PATCH",
      "/routes/x",
      405,
      {
        code: 12,
        name: "operation unsupported",
        message: "cannot create or update 'routes' entities when not using a database",
      },
    ],
  ])("%s %s -> %i", async (method, path, status, body) => {
    const emu = await emulator();
    const res = await call(emu.url, path, {
      method,
      ...(method === "GET" || method === "DELETE"
        ? {}
        : { body: "{}", contentType: "application/json" }),
    });
    expect(res.status).toBe(status);
    if (body !== undefined) expect(res.json).toEqual(body);
  });

  it("answers OPTIONS with the allowed methods", async () => {
    const emu = await emulator();
    const res = await call(emu.url, "/config", { method: "OPTIONS" });
    expect(res.status).toBe(204);
    expect(res.headers.get("allow")).toBe("GET, HEAD, OPTIONS, POST");
    expect((await call(emu.url, "/services", { method: "OPTIONS" })).headers.get("allow")).toBe(
      "GET, HEAD, OPTIONS",
    );
    expect((await call(emu.url, "/nope", { method: "OPTIONS" })).status).toBe(404);
  });

  it("rejects two Content-Type headers with 400", async () => {
    const emu = await emulator();
    const url = new URL(emu.url);
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        {
          host: url.hostname,
          port: url.port,
          path: "/config",
          method: "POST",
          headers: [
            ["Content-Type", "application/json"],
            ["Content-Type", "text/yaml"],
            ["Content-Length", "2"],
          ] as unknown as Record<string, string>,
        },
        res => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on("error", reject);
      req.end("{}");
    });
    expect(status).toBe(400);
  });

  it("requires the admin token when configured", async () => {
    const emu = await emulator({ adminToken: "s3cret" });
    expect(await call(emu.url, "/status")).toMatchObject({
      status: 401,
      json: { message: "Invalid credentials. Token or User credentials required" },
    });
    expect(
      (await call(emu.url, "/status", { headers: { "kong-admin-token": "s3cret" } })).status,
    ).toBe(200);
  });
});

describe("read-only entity endpoints (§10)", () => {
  const doc = {
    _format_version: "3.0",
    services: [
      { name: "a", host: "a.example", tags: ["team:x", "env:prod"] },
      { name: "b", host: "b.example", tags: ["team:y"] },
      { name: "c", host: "c.example", tags: ["team:x"] },
    ],
    upstreams: [
      { name: "u.example", targets: [{ target: "10.0.0.1" }, { target: "10.0.0.2:81" }] },
    ],
  };

  it("pages with offset and next", async () => {
    const emu = await emulator();
    await postJson(emu.url, doc);
    const first = (await call(emu.url, "/services?size=2")).json as {
      data: unknown[];
      offset: string;
      next: string;
    };
    expect(first.data).toHaveLength(2);
    expect(first.next).toBe(`/services?offset=${encodeURIComponent(first.offset)}&size=2`);
    const second = (
      await call(emu.url, `/services?size=2&offset=${encodeURIComponent(first.offset)}`)
    ).json;
    expect(second).toMatchObject({ next: null });
    expect((second as { data: unknown[] }).data).toHaveLength(1);
  });

  it.each([
    ["team:x", ["a", "c"]],
    ["team:x,env:prod", ["a"]],
    ["team:y/env:prod", ["a", "b"]],
  ])("filters by tags=%s", async (tags, names) => {
    const emu = await emulator();
    await postJson(emu.url, doc);
    const res = (await call(emu.url, `/services?tags=${encodeURIComponent(tags)}`)).json as {
      data: { name: string }[];
    };
    expect(res.data.map(s => s.name).sort()).toEqual(names);
  });

  it("rejects bad offsets and sizes", async () => {
    const emu = await emulator();
    expect((await call(emu.url, "/services?offset=!!")).json).toEqual({
      code: 7,
      name: "invalid offset",
      message: "'!!' is not a valid offset: bad base64 encoding",
    });
    expect((await call(emu.url, "/services?size=5000")).status).toBe(400);
  });

  it("gets by name or id and shows target ports", async () => {
    const emu = await emulator();
    await postJson(emu.url, doc);
    const byName = (await call(emu.url, "/services/a")).json as { id: string };
    expect((await call(emu.url, `/services/${byName.id}`)).json).toMatchObject({ name: "a" });
    expect((await call(emu.url, "/services/zzz")).status).toBe(404);
    const targets = (await call(emu.url, "/upstreams/u.example/targets")).json as {
      data: { target: string }[];
    };
    expect(targets.data.map(t => t.target).sort()).toEqual(["10.0.0.1:8000", "10.0.0.2:81"]);
  });

  it("dumps the config as flat YAML with plain-id references", async () => {
    const emu = await emulator();
    await postJson(emu.url, SERVICE_DOC);
    const dump = parseYaml(
      ((await call(emu.url, "/config")).json as { config: string }).config,
    ) as Record<string, unknown>;
    expect(dump).toMatchObject({ _format_version: "3.0", _transform: false });
    expect(dump["routes"]).toMatchObject([
      { name: "foo-r", service: "2933fbcc-9d7c-54a7-a984-fe2bde836cea", methods: null },
    ]);
  });

  it("serves plugin schemas and schema validation", async () => {
    const emu = await emulator();
    const schema = (await call(emu.url, "/schemas/plugins/key-auth")).json as {
      fields: Record<string, unknown>[];
    };
    expect(schema.fields.some(f => "config" in f)).toBe(true);
    expect((await call(emu.url, "/schemas/plugins/nope")).json).toEqual({
      message: "No plugin named 'nope'",
    });
    const ok = await call(emu.url, "/schemas/plugins/validate", {
      method: "POST",
      body: JSON.stringify({ name: "cors" }),
      contentType: "application/json",
    });
    expect(ok.json).toEqual({ message: "schema validation successful" });
    const bad = await call(emu.url, "/schemas/plugins/validate", {
      method: "POST",
      body: JSON.stringify({ name: "rate-limiting", config: { minute: 5, hour: 1 } }),
      contentType: "application/json",
    });
    expect(bad.json).toEqual({
      code: 2,
      name: "schema violation",
      message:
        "schema violation (config: The limit for hour(1.0) cannot be lower than the limit for minute(5.0))",
      fields: { config: "The limit for hour(1.0) cannot be lower than the limit for minute(5.0)" },
    });
  });
});
