import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { REDACTED } from "../../../src/kong/redact.ts";
import { createLogger, escapeStack, logPush } from "../../../src/telemetry/logger.ts";

function capture(): { stream: Writable; lines: () => string[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return {
    stream,
    lines: () =>
      chunks
        .join("")
        .split("\n")
        .filter(l => l !== ""),
  };
}

function jsonLines(lines: string[]): Record<string, unknown>[] {
  return lines.map(l => JSON.parse(l) as Record<string, unknown>);
}

describe("createLogger json", () => {
  it("writes one JSON object per line with root bindings and a level label", () => {
    const out = capture();
    const logger = createLogger({
      level: "info",
      format: "json",
      version: "1.2.3",
      destination: out.stream,
    });
    logger
      .child({ component: "sender" })
      .info({ configHash: "abc", durationMs: 12 }, "Pushed config");
    logger.debug("not shown at info");
    const [line, ...rest] = jsonLines(out.lines());
    expect(rest).toEqual([]);
    expect(line).toMatchObject({
      level: "info",
      service: "kongress",
      version: "1.2.3",
      component: "sender",
      configHash: "abc",
      durationMs: 12,
      msg: "Pushed config",
    });
    expect(typeof line?.["time"]).toBe("string");
  });

  it.each([
    [
      "config token",
      { config: { kongAdminToken: "s3cret", ingressClass: "kong" } },
      ["config", "kongAdminToken"],
    ],
    [
      "client key",
      { config: { kongAdminTlsClientKey: "-----BEGIN" } },
      ["config", "kongAdminTlsClientKey"],
    ],
    ["admin headers", { kongAdminHeader: [{ name: "x", value: "y" }] }, ["kongAdminHeader"]],
    [
      "authorization header",
      { req: { headers: { authorization: "Bearer t" } } },
      ["req", "headers", "authorization"],
    ],
    [
      "kong admin token header",
      { headers: { "kong-admin-token": "t" } },
      ["headers", "kong-admin-token"],
    ],
    ["tls key", { admin: { tls: { key: "k" } } }, ["admin", "tls", "key"]],
    ["adminToken", { client: { adminToken: "t" } }, ["client", "adminToken"]],
  ])("redacts %s", (_name, fields, path) => {
    const out = capture();
    createLogger({ level: "info", format: "json", version: "0", destination: out.stream }).info(
      fields,
      "x",
    );
    let value: unknown = jsonLines(out.lines())[0];
    for (const key of path) value = (value as Record<string, unknown>)[key];
    expect(value).toBe(REDACTED);
  });

  it("hides a field by path and a private key in a message behind the same marker", () => {
    const out = capture();
    const key = "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----";
    createLogger({ level: "info", format: "json", version: "0", destination: out.stream }).info(
      { token: "s3cret", detail: `bad key ${key}` },
      "x",
    );
    expect(jsonLines(out.lines())[0]).toMatchObject({
      token: REDACTED,
      detail: `bad key ${REDACTED}`,
    });
  });

  it("keeps other fields next to redacted ones", () => {
    const out = capture();
    createLogger({ level: "info", format: "json", version: "0", destination: out.stream }).info(
      { config: { kongAdminToken: "s3cret", ingressClass: "kong" } },
      "Loaded config",
    );
    expect(out.lines()[0]).toContain('"ingressClass":"kong"');
    expect(out.lines()[0]).not.toContain("s3cret");
  });
});

describe("createLogger text", () => {
  it("writes human-readable lines through pino-pretty, still redacted", () => {
    const out = capture();
    const logger = createLogger({
      level: "debug",
      format: "text",
      version: "0",
      destination: out.stream,
      colorize: false,
    });
    logger.debug({ kind: "Ingress", kongAdminToken: "s3cret" }, "Translated object");
    const text = out.lines().join("\n");
    expect(text).toMatch(/DEBUG.*Translated object/);
    expect(text).toContain('kind: "Ingress"');
    expect(text).toContain(REDACTED);
    expect(text).not.toContain("s3cret");
    expect(() => {
      JSON.parse(out.lines()[0] ?? "");
    }).toThrow();
  });
});

describe("text logs and control characters", () => {
  /** What a hostile annotation or Kong message could carry: a forged record and a screen clear. */
  const forged =
    "x\n[2026-01-01 00:00:00.000 +0000] INFO (kongress): Pushed config to Kong\u001b[2J";

  function textLogger() {
    const out = capture();
    const logger = createLogger({
      level: "info",
      format: "text",
      version: "0",
      destination: out.stream,
      colorize: false,
    });
    return { out, logger };
  }

  it("escapes them in messages, fields, bindings and error stacks: one record, one line that starts one", () => {
    const { out, logger } = textLogger();
    const child = logger.child({ component: `c${forged}` });
    child.warn({ err: new Error(`Ingress ${forged} rejected`), name: forged }, `Bad ${forged}`);
    child.info({ annotations: { [`k${forged}`]: forged } }, "Second");
    const lines = out.lines();
    const text = lines.join("\n");
    expect(text).not.toContain("\u001b");
    expect(text).toContain("\\x1b[2J");
    // Only the two real records start a line; everything else is indented under them.
    expect(lines.filter(l => l.startsWith("["))).toHaveLength(2);
    expect(lines.filter(l => !l.startsWith("[") && !l.startsWith(" "))).toEqual([]);
    expect(text).toContain("Bad x\\x0a[2026-01-01");
  });

  it("keeps a stack's frames on their own lines", () => {
    const stack = `Error: bad ${forged}\n    at f (file:///a.ts:1:2)\n    at g (file:///b.ts:3:4)`;
    expect(escapeStack(stack).split("\n")).toEqual([
      "Error: bad x\\x0a[2026-01-01 00:00:00.000 +0000] INFO (kongress): Pushed config to Kong\\x1b[2J",
      "    at f (file:///a.ts:1:2)",
      "    at g (file:///b.ts:3:4)",
    ]);
  });

  it("leaves JSON logs to JSON's own escaping", () => {
    const out = capture();
    createLogger({ level: "info", format: "json", version: "0", destination: out.stream }).info(
      { name: forged },
      "Plain",
    );
    expect(jsonLines(out.lines())[0]?.["name"]).toBe(forged);
  });
});

describe("logPush", () => {
  const push = {
    dataplane: "http://kong:8001",
    configHash: "abc123",
    sizeBytes: 4096,
    durationMs: 87,
    outcome: "applied",
    fallback: false,
  };

  it.each([
    [true, "info", "Pushed config to Kong"],
    [false, "warn", "Config push to Kong failed"],
  ])("accepted %s logs one %s line with the push fields", (accepted, level, msg) => {
    const out = capture();
    const logger = createLogger({
      level: "info",
      format: "json",
      version: "0",
      destination: out.stream,
    });
    logPush(logger, push, accepted);
    const lines = jsonLines(out.lines());
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ ...push, level, msg });
  });
});

describe("createLogger secret scrubbing", () => {
  const PEM =
    "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----";
  const scrubber = {
    scrubText: (text: string) => text.split("alice-api-key").join("{vault://redacted-value}"),
  };

  function logged(
    log: (logger: ReturnType<typeof createLogger>) => void,
    withScrubber = true,
  ): string {
    const out = capture();
    log(
      createLogger({
        level: "info",
        format: "json",
        version: "1",
        destination: out.stream,
        ...(withScrubber ? { scrubber } : {}),
      }),
    );
    return out.lines().join("\n");
  }

  it("hides a secret Kong quoted, in an error's message, stack and properties", () => {
    const err = Object.assign(
      new Error("entity with key set to 'alice-api-key' already declared"),
      { failures: [{ problems: [{ message: "key set to 'alice-api-key'" }] }] },
    );
    const text = logged(logger => {
      logger.warn({ err, dataplane: "http://kong:8001" }, "Config push to Kong failed");
    });
    expect(text).not.toContain("alice-api-key");
    const line = JSON.parse(text) as { err: { message: string; stack: string; failures: unknown } };
    expect(line.err.message).toBe(
      "entity with key set to '{vault://redacted-value}' already declared",
    );
    expect(line.err.stack).toContain("{vault://redacted-value}");
    expect(JSON.stringify(line.err.failures)).toContain("{vault://redacted-value}");
  });

  it("cuts PEM private keys out of any field, even without a scrubber", () => {
    const text = logged(logger => {
      logger.info({ detail: { nested: [`bad pair: ${PEM}`] } }, "Certificate skipped");
    }, false);
    expect(text).not.toContain("MIIEvQ");
    expect(JSON.parse(text)).toMatchObject({
      detail: { nested: ["bad pair: {vault://redacted-value}"] },
    });
  });

  it("keeps redacting configured paths and survives cycles", () => {
    const cyclic: Record<string, unknown> = { name: "a" };
    cyclic["self"] = cyclic;
    const text = logged(logger => {
      logger.info({ kongAdminToken: "t0ken", cyclic }, "Settings");
    });
    expect(JSON.parse(text)).toMatchObject({ kongAdminToken: REDACTED, cyclic: { name: "a" } });
  });
});
