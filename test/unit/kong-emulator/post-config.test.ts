import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { EMPTY_CONFIG_HASH } from "../../../src/kong/types.ts";
import { call, emulator, postJson, SERVICE_DOC } from "./helpers.ts";

const md5 = (text: string): string => createHash("md5").update(text).digest("hex");
const YAML_DOC = "_format_version: '3.0'\nservices:\n- name: foo\n  host: echo.default.svc\n";

describe("POST /config (§3)", () => {
  it("answers 201 with the normalised entities and updates the hash", async () => {
    const emu = await emulator();
    expect(emu.configHash()).toBe(EMPTY_CONFIG_HASH);
    const res = await postJson(emu.url, SERVICE_DOC, "?check_hash=1&flatten_errors=1");
    expect(res.status).toBe(201);
    const body = res.json as Record<string, Record<string, Record<string, unknown>>>;
    expect(body["services"]?.["2933fbcc-9d7c-54a7-a984-fe2bde836cea"]).toMatchObject({
      name: "foo",
      port: 80,
    });
    expect(body["routes"]?.["76d41e94-f9d5-54c2-9de7-c23f30d66286"]).toMatchObject({
      service: { id: "2933fbcc-9d7c-54a7-a984-fe2bde836cea" },
      created_at: expect.any(Number) as unknown,
    });
    expect(emu.configHash()).toMatch(/^[0-9a-f]{32}$/);
    expect(emu.configHash()).not.toBe(EMPTY_CONFIG_HASH);
    expect(emu.currentConfig()).toEqual(SERVICE_DOC);
    expect(emu.accepted()).toHaveLength(1);
    expect(emu.postCounts()).toEqual({ "201": 1 });
  });

  it("hashes object inputs deterministically and empty configs as zeros", async () => {
    const emu = await emulator();
    await postJson(emu.url, SERVICE_DOC);
    const first = emu.configHash();
    await postJson(emu.url, SERVICE_DOC);
    expect(emu.configHash()).toBe(first);
    const empty = await postJson(emu.url, { _format_version: "3.0" });
    expect(empty.status).toBe(201);
    expect(empty.json).toEqual({});
    expect(emu.configHash()).toBe(EMPTY_CONFIG_HASH);
  });

  it("hashes string inputs as md5 of the exact bytes and answers 304 on check_hash", async () => {
    const emu = await emulator();
    const post = (query: string) =>
      call(emu.url, `/config${query}`, {
        method: "POST",
        body: YAML_DOC,
        contentType: "application/yaml",
      });
    expect((await post("")).status).toBe(201);
    expect(emu.configHash()).toBe(md5(YAML_DOC));
    expect((await post("?check_hash=1")).status).toBe(304);
    expect((await post("?check_hash=true")).status).toBe(201);
    expect(emu.accepted()).toHaveLength(2);
  });

  it("never answers 304 for JSON object inputs", async () => {
    const emu = await emulator();
    await postJson(emu.url, SERVICE_DOC, "?check_hash=1");
    expect((await postJson(emu.url, SERVICE_DOC, "?check_hash=1")).status).toBe(201);
  });

  it("reads a `config` string from a JSON body, a form and multipart", async () => {
    const emu = await emulator();
    const json = await call(emu.url, "/config", {
      method: "POST",
      body: JSON.stringify({ config: YAML_DOC }),
      contentType: "application/json",
    });
    expect(json.status).toBe(201);
    expect(emu.configHash()).toBe(md5(YAML_DOC));
    const form = await call(emu.url, "/config?check_hash=1", {
      method: "POST",
      body: new URLSearchParams({ config: YAML_DOC }).toString(),
      contentType: "application/x-www-form-urlencoded",
    });
    expect(form.status).toBe(304);
    const boundary = "XyZ";
    const multipart = [
      `--${boundary}`,
      'Content-Disposition: form-data; name="config"',
      "",
      '{"_format_version":"3.0"}',
      `--${boundary}--`,
      "",
    ].join("\r\n");
    const mp = await call(emu.url, "/config", {
      method: "POST",
      body: multipart,
      contentType: `multipart/form-data; boundary=${boundary}`,
    });
    expect(mp.status).toBe(201);
    expect(emu.configHash()).toBe(EMPTY_CONFIG_HASH);
  });

  it.each([
    ["empty body", undefined, undefined, 400, { message: "expected a declarative configuration" }],
    ["bad JSON", "{", "application/json", 400, { message: "Cannot parse JSON body" }],
    [
      "YAML scalar",
      "just text",
      "text/yaml",
      400,
      {
        code: 14,
        name: "invalid declarative configuration",
        message:
          'declarative config is invalid: {error="failed parsing declarative configuration: expected an object"}',
        fields: { error: "failed parsing declarative configuration: expected an object" },
      },
    ],
  ])("%s -> %s", async (_name, body, contentType, status, expected) => {
    const emu = await emulator();
    const res = await call(emu.url, "/config?flatten_errors=1", {
      method: "POST",
      ...(body === undefined ? {} : { body }),
      ...(contentType === undefined ? {} : { contentType }),
    });
    expect(res.status).toBe(status);
    expect(res.json).toEqual(expected);
  });

  it("answers 415 with an empty body for an unsupported content type", async () => {
    const emu = await emulator();
    const res = await call(emu.url, "/config", {
      method: "POST",
      body: "x",
      contentType: "text/plain",
    });
    expect(res.status).toBe(415);
    expect(res.text).toBe("");
  });

  it.each([
    ["", false],
    ["?flatten_errors=1", true],
    ["?flatten_errors=true", true],
    ["?flatten_errors=YES", true],
    ["?flatten_errors=on", true],
    ["?flatten_errors=0", false],
    ["?flatten_errors=no", false],
  ])("flatten_errors %s -> flattened %s", async (query, flattened) => {
    const emu = await emulator();
    const res = await postJson(
      emu.url,
      { _format_version: "3.0", services: [{ name: "s", host: "h", port: -1 }] },
      query,
    );
    expect(res.status).toBe(400);
    expect(Object.hasOwn(res.json as object, "flattened_errors")).toBe(flattened);
  });

  it("keeps the previous config when a new one is rejected", async () => {
    const emu = await emulator();
    await postJson(emu.url, SERVICE_DOC);
    const hash = emu.configHash();
    expect((await postJson(emu.url, { services: [] })).status).toBe(400);
    expect(emu.configHash()).toBe(hash);
    expect(emu.postCounts()).toEqual({ "201": 1, "400": 1 });
  });

  it("answers 413 with nginx's HTML page over the body limit", async () => {
    const emu = await emulator({ maxBodyBytes: 64 });
    const res = await postJson(emu.url, { ...SERVICE_DOC, _comment: "x".repeat(100) });
    expect(res.status).toBe(413);
    expect(res.headers.get("content-type")).toBe("text/html");
    expect(res.text).toContain("413 Request Entity Too Large");
  });

  it("answers 413 with the LMDB message over the store limit", async () => {
    const emu = await emulator({ storeLimitBytes: 10 });
    const res = await postJson(emu.url, SERVICE_DOC);
    expect(res.status).toBe(413);
    expect(res.json).toEqual({
      message:
        'Configuration does not fit in LMDB database, consider raising the "lmdb_map_size" config for Kong',
    });
  });

  it("answers 429 with Retry-After while another load holds the lock", async () => {
    const emu = await emulator({ loadDurationMs: 400 });
    const first = postJson(emu.url, SERVICE_DOC);
    await new Promise(resolve => setTimeout(resolve, 100));
    const second = await postJson(emu.url, SERVICE_DOC);
    expect(second.status).toBe(429);
    expect(second.json).toEqual({ message: "Currently loading previous configuration" });
    expect(second.headers.get("retry-after")).toBe("1");
    expect((await first).status).toBe(201);
  });

  it("rejects the entities carrying a tag with Kong's flattened shape", async () => {
    const emu = await emulator();
    emu.inject({ kind: "rejectTagged", tag: "k8s-name:broken" });
    const doc = {
      _format_version: "3.0",
      services: [
        { name: "ok", host: "a.example", tags: ["k8s-name:ok"] },
        { name: "bad", host: "b.example", tags: ["k8s-name:broken", "k8s-kind:Service"] },
      ],
    };
    const res = await postJson(emu.url, doc, "?flatten_errors=1");
    expect(res.status).toBe(400);
    expect(res.json).toEqual({
      code: 14,
      name: "invalid declarative configuration",
      message: "declarative config is invalid: {}",
      fields: {},
      flattened_errors: [
        {
          entity_type: "service",
          entity_name: "bad",
          entity_tags: ["k8s-name:broken", "k8s-kind:Service"],
          entity: { name: "bad", host: "b.example", tags: ["k8s-name:broken", "k8s-kind:Service"] },
          errors: [
            { type: "entity", message: "rejected by the Kong emulator: tagged 'k8s-name:broken'" },
          ],
        },
      ],
    });
    expect(emu.configHash()).toBe(EMPTY_CONFIG_HASH);
  });
});

describe("POST /config with a plugin Kong has not loaded (§2.7 plugin.name)", () => {
  const doc = {
    _format_version: "3.0",
    plugins: [{ name: "my-header", config: { header_name: "X-Team" }, tags: ["k8s-name:p"] }],
  };

  it("refuses the whole config, naming the plugin in Kong's words", async () => {
    const emu = await emulator();
    const res = await postJson(emu.url, doc, "?flatten_errors=1");
    expect(res.status).toBe(400);
    expect((res.json as { flattened_errors: unknown[] }).flattened_errors).toEqual([
      {
        entity_type: "plugin",
        entity_name: "my-header",
        entity_tags: ["k8s-name:p"],
        entity: doc.plugins[0],
        errors: [
          {
            type: "field",
            field: "name",
            message:
              "plugin 'my-header' not enabled; add it to the 'plugins' configuration property",
          },
        ],
      },
    ]);
    expect(emu.configHash()).toBe(EMPTY_CONFIG_HASH);
  });

  it("takes it, with any config, where it is loaded, and lists it in GET /", async () => {
    const emu = await emulator({ enabledPlugins: ["key-auth", "my-header"] });
    expect((await postJson(emu.url, doc)).status).toBe(201);
    const root = await call(emu.url, "/");
    expect(root.json).toMatchObject({
      plugins: {
        available_on_server: { "key-auth": {}, "my-header": {} },
        enabled_in_cluster: ["my-header"],
      },
    });
  });
});

describe("POST /config with expression routes (§2.6 router flavours)", () => {
  const withRoute = (route: Record<string, unknown>) => ({
    _format_version: "3.0",
    services: [{ name: "foo", host: "echo.default.svc", routes: [{ name: "r", ...route }] }],
  });
  const flatErrors = (res: { json: unknown }) =>
    (res.json as { flattened_errors: { errors: unknown[] }[] }).flattened_errors.map(e => e.errors);

  it("an expressions Kong takes a valid expression route and says its flavour", async () => {
    const emu = await emulator({ routerFlavor: "expressions" });
    const root = await call(emu.url, "/", { method: "GET" });
    expect(root.json).toMatchObject({ configuration: { router_flavor: "expressions" } });
    const res = await postJson(emu.url, withRoute({ expression: 'http.path ^= "/"', priority: 7 }));
    expect(res.status).toBe(201);
  });

  it("an expressions Kong refuses an expression its router cannot parse or type", async () => {
    const emu = await emulator({ routerFlavor: "expressions" });
    const res = await postJson(
      emu.url,
      withRoute({ expression: 'http.path ~ "^/a(?=b)"' }),
      "?flatten_errors=1",
    );
    expect(res.status).toBe(400);
    const [errors] = flatErrors(res) as { type: string; message: string }[][];
    expect(errors?.map(e => e.type)).toEqual(["entity"]);
    expect(errors?.[0]?.message).toMatch(/^Router Expression failed validation: {2}--> 1:13\n/);
    expect(errors?.[0]?.message).toContain("look-around");
  });

  it("a traditional_compatible Kong refuses the expression field", async () => {
    const emu = await emulator();
    const res = await postJson(
      emu.url,
      withRoute({ expression: 'http.path ^= "/"' }),
      "?flatten_errors=1",
    );
    expect(res.status).toBe(400);
    expect(flatErrors(res)[0]).toContainEqual({
      type: "field",
      field: "expression",
      message: "unknown field",
    });
  });
});
