import { readFileSync } from "node:fs";
import { Agent, fetch as undiciFetch } from "undici";
import { describe, expect, it } from "vitest";
import { EMPTY_CONFIG_HASH } from "../../../src/kong/types.ts";
import { call, emulator, postJson, SERVICE_DOC } from "./helpers.ts";

async function failure(url: string): Promise<string> {
  try {
    await fetch(url, { signal: AbortSignal.timeout(300) });
    return "answered";
  } catch (e) {
    const cause = (e as { cause?: { code?: string } }).cause;
    return cause?.code ?? (e as Error).name;
  }
}

describe("faults", () => {
  it("down: refuses connections until cleared", async () => {
    const emu = await emulator();
    const handle = emu.inject({ kind: "down" });
    await new Promise(resolve => setTimeout(resolve, 20));
    expect(await failure(`${emu.url}/status`)).toBe("ECONNREFUSED");
    handle.clear();
    await new Promise(resolve => setTimeout(resolve, 20));
    expect((await call(emu.url, "/status")).status).toBe(200);
  });

  it("reset: drops the connection", async () => {
    const emu = await emulator();
    emu.inject({ kind: "reset", times: 1 });
    expect(await failure(`${emu.url}/status`)).not.toBe("answered");
    expect((await call(emu.url, "/status")).status).toBe(200);
  });

  it("hang: never answers, and stop() still returns", async () => {
    const emu = await emulator();
    emu.inject({ kind: "hang", match: { path: "/status" } });
    expect(await failure(`${emu.url}/status`)).toBe("TimeoutError");
    expect((await call(emu.url, "/")).status).toBe(200);
    expect(emu.requests().find(r => r.path === "/status")?.status).toBeUndefined();
  });

  it("slow: delays the answer", async () => {
    const emu = await emulator();
    emu.inject({ kind: "slow", delayMs: 400, times: 1 });
    expect(await failure(`${emu.url}/status`)).toBe("TimeoutError");
  });

  it.each<[number, unknown, string | null]>([
    [500, { message: "An unexpected error occurred" }, null],
    [503, { message: "Kong currently exiting" }, null],
    [504, { message: "Timed out while loading configuration" }, null],
    [429, { message: "Currently loading previous configuration" }, "10"],
    [401, { message: "Invalid credentials. Token or User credentials required" }, null],
  ])("status %i with Kong's default body", async (status, body, retryAfter) => {
    const emu = await emulator();
    emu.inject({ kind: "status", status, match: { method: "POST", path: "/config" } });
    const res = await postJson(emu.url, SERVICE_DOC);
    expect(res.status).toBe(status);
    expect(res.json).toEqual(body);
    expect(res.headers.get("retry-after")).toBe(retryAfter);
    expect(emu.configHash()).toBe(EMPTY_CONFIG_HASH);
    expect(emu.postCounts()).toEqual({ [String(status)]: 1 });
  });

  it("status with custom body and headers", async () => {
    const emu = await emulator();
    emu.inject({ kind: "status", status: 429, body: "{}", headers: { "Retry-After": "3.456" } });
    const res = await call(emu.url, "/status");
    expect(res).toMatchObject({ status: 429, text: "{}" });
    expect(res.headers.get("retry-after")).toBe("3.456");
  });

  it("garbage: answers with the given body", async () => {
    const emu = await emulator();
    emu.inject({ kind: "garbage", body: "<html>oops", contentType: "text/html", status: 400 });
    expect(
      await call(emu.url, "/config", {
        method: "POST",
        body: "{}",
        contentType: "application/json",
      }),
    ).toMatchObject({
      status: 400,
      text: "<html>oops",
    });
  });

  it("times and everyNth bound a fault", async () => {
    const emu = await emulator();
    emu.inject({ kind: "status", status: 500, everyNth: 2, times: 2 });
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await call(emu.url, "/status")).status);
    expect(statuses).toEqual([200, 500, 200, 500, 200, 200]);
  });

  it("listenersUnknown: GET / fails with 503", async () => {
    const emu = await emulator();
    emu.inject({ kind: "listenersUnknown", times: 1 });
    expect((await call(emu.url, "/")).status).toBe(503);
    expect((await call(emu.url, "/")).status).toBe(200);
  });

  it("acceptedNotApplied: 201 but nothing changes", async () => {
    const emu = await emulator();
    emu.inject({ kind: "acceptedNotApplied" });
    expect((await postJson(emu.url, SERVICE_DOC)).status).toBe(201);
    expect(emu.configHash()).toBe(EMPTY_CONFIG_HASH);
    expect(emu.accepted()).toEqual([]);
    emu.clearFaults();
    await postJson(emu.url, SERVICE_DOC);
    expect(emu.configHash()).not.toBe(EMPTY_CONFIG_HASH);
  });
});

describe("restarts and lost config", () => {
  it("restart empties the config, zeroes the hash and changes node_id on the same port", async () => {
    const emu = await emulator();
    const url = emu.url;
    await postJson(emu.url, SERVICE_DOC);
    const before = ((await call(url, "/")).json as { node_id: string }).node_id;
    const restarting = emu.restart({ downtimeMs: 150 });
    await new Promise(resolve => setTimeout(resolve, 50));
    expect(await failure(`${url}/status`)).toBe("ECONNREFUSED");
    await restarting;
    expect(emu.url).toBe(url);
    expect(((await call(url, "/")).json as { node_id: string }).node_id).not.toBe(before);
    expect((await call(url, "/status")).json).toMatchObject({
      configuration_hash: EMPTY_CONFIG_HASH,
    });
  });

  it("restart with keepConfig keeps config and hash", async () => {
    const emu = await emulator();
    await postJson(emu.url, SERVICE_DOC);
    const hash = emu.configHash();
    await emu.restart({ keepConfig: true });
    expect((await call(emu.url, "/status")).json).toMatchObject({ configuration_hash: hash });
    expect(emu.currentConfig()).toEqual(SERVICE_DOC);
  });

  it("loseConfig reverts to empty while up", async () => {
    const emu = await emulator();
    await postJson(emu.url, SERVICE_DOC);
    emu.loseConfig();
    expect((await call(emu.url, "/status")).json).toMatchObject({
      configuration_hash: EMPTY_CONFIG_HASH,
    });
    expect((await call(emu.url, "/services")).json).toEqual({ data: [], next: null });
  });

  it("runs two emulators side by side", async () => {
    const [a, b] = await Promise.all([emulator(), emulator()]);
    expect(a.url).not.toBe(b.url);
    await postJson(a.url, SERVICE_DOC);
    expect(a.configHash()).not.toBe(EMPTY_CONFIG_HASH);
    expect(b.configHash()).toBe(EMPTY_CONFIG_HASH);
    expect(b.requests()).toEqual([]);
  });
});

describe("TLS", () => {
  const cert = readFileSync("test/fixtures/certs/api.crt", "utf8");
  const key = readFileSync("test/fixtures/certs/api.key", "utf8");

  it("serves HTTPS and demands a client certificate when asked", async () => {
    const emu = await emulator({ tls: { key, cert, ca: cert, requestClientCert: true } });
    expect(emu.url.startsWith("https://")).toBe(true);
    const connect = { ca: cert, checkServerIdentity: () => undefined };
    const anonymous = await undiciFetch(`${emu.url}/status`, {
      dispatcher: new Agent({ connect }),
    });
    expect(anonymous.status).toBe(400);
    expect(await anonymous.text()).toContain("No required SSL certificate was sent");
    const withCert = await undiciFetch(`${emu.url}/status`, {
      dispatcher: new Agent({ connect: { ...connect, cert, key } }),
    });
    expect(withCert.status).toBe(200);
  });
});
