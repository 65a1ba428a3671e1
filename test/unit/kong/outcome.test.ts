import { describe, expect, it } from "vitest";
import {
  classifyPush,
  classifyRead,
  describeBody,
  parseRetryAfter,
  unreachableReason,
  type Exchange,
} from "../../../src/kong/outcome.ts";
import { statusInfoSchema } from "../../../src/kong/responses.ts";

const ctx = { url: "http://kong:8001", nowMs: Date.UTC(2026, 0, 1), bytes: 2048 };

function answer(status: number, body = "", headers: Record<string, string> = {}): Exchange {
  return { kind: "answer", status, headers, body };
}

function systemError(code: string, message = code): Error {
  return Object.assign(new Error(message), { code });
}

const flattened400 = JSON.stringify({
  code: 14,
  name: "invalid declarative configuration",
  message: "declarative config is invalid: {}",
  fields: {},
  flattened_errors: [
    {
      entity_type: "service",
      entity_name: "default.httpbin.80",
      entity_tags: [
        "k8s-name:httpbin",
        "k8s-namespace:default",
        "k8s-kind:Service",
        "k8s-uid:3f1c",
        "k8s-version:v1",
      ],
      entity: { name: "default.httpbin.80", key: "-----BEGIN PRIVATE KEY-----" },
      errors: [
        { type: "field", field: "path", message: "value must be null" },
        {
          type: "entity",
          message: "failed conditional validation given value of field 'protocol'",
        },
      ],
    },
  ],
});

describe("classifyPush", () => {
  it.each([
    ["201 applied", answer(201, "{}"), "applied"],
    ["200 applied", answer(200, ""), "applied"],
    ["304 unchanged", answer(304), "unchanged"],
    ["400 flattened", answer(400, flattened400), "rejected"],
    ["400 Cannot parse JSON body", answer(400, '{"message":"Cannot parse JSON body"}'), "rejected"],
    ["400 nginx HTML (mTLS)", answer(400, "<html><title>400 Bad</title></html>"), "unexpectedBody"],
    ["400 JSON of another shape", answer(400, '{"code":"14"}'), "unexpectedBody"],
    [
      "413 HTML",
      answer(413, "<html><title>413 Request Entity Too Large</title></html>"),
      "tooLarge",
    ],
    ["413 LMDB JSON", answer(413, '{"message":"Configuration does not fit in LMDB"}'), "tooLarge"],
    ["429", answer(429, '{"message":"Currently loading previous configuration"}'), "busy"],
    ["503", answer(503, '{"message":"Kong currently exiting"}'), "busy"],
    ["504", answer(504, '{"message":"Timed out while loading configuration"}'), "busy"],
    ["500", answer(500, '{"message":"An unexpected error occurred"}'), "httpError"],
    ["401", answer(401, '{"message":"Invalid credentials"}'), "httpError"],
    ["415", answer(415, ""), "httpError"],
    ["302 from a proxy", answer(302, ""), "httpError"],
    [
      "refused",
      { kind: "failed", error: systemError("ECONNREFUSED"), timedOut: false },
      "unreachable",
    ],
    ["deadline", { kind: "failed", error: new Error("aborted"), timedOut: true }, "unreachable"],
    [
      "201 with a cut-off echo",
      { kind: "bodyFailed", status: 201, headers: {}, error: systemError("UND_ERR_SOCKET") },
      "applied",
    ],
    [
      "400 with a cut-off body",
      { kind: "bodyFailed", status: 400, headers: {}, error: systemError("UND_ERR_SOCKET") },
      "unexpectedBody",
    ],
  ] satisfies [string, Exchange, string][])("%s", (_name, exchange, kind) => {
    expect(classifyPush(exchange, ctx).kind).toBe(kind);
  });

  it("maps flattened errors to objects and keeps the entity echo out of the error", () => {
    const outcome = classifyPush(answer(400, flattened400), ctx);
    if (outcome.kind !== "rejected") throw new Error(`expected rejected, got ${outcome.kind}`);
    expect(outcome.error.code).toBe("ERR_KONG_REJECTED");
    expect(outcome.error.failures).toEqual([
      {
        entityType: "service",
        entityName: "default.httpbin.80",
        ref: {
          group: "",
          version: "v1",
          kind: "Service",
          namespace: "default",
          name: "httpbin",
          uid: "3f1c",
        },
        problems: [
          { field: "path", message: "value must be null" },
          { message: "failed conditional validation given value of field 'protocol'" },
        ],
      },
    ]);
    expect(JSON.stringify(outcome.error.failures)).not.toContain("PRIVATE KEY");
    expect(outcome.error.message).not.toContain("PRIVATE KEY");
  });

  it("reads Retry-After from a 429", () => {
    const outcome = classifyPush(answer(429, "{}", { "retry-after": "3.456" }), ctx);
    if (outcome.kind !== "busy") throw new Error(`expected busy, got ${outcome.kind}`);
    expect(outcome.error.retryAfterMs).toBe(3456);
    expect(outcome.error.status).toBe(429);
  });

  it("names the size of a config that is too large", () => {
    const outcome = classifyPush(answer(413, "<html><title>413 Too Large</title></html>"), ctx);
    expect(outcome.kind === "tooLarge" && outcome.error.message).toBe(
      'Kong Admin API http://kong:8001 refused a 2048-byte config as too large: HTML page "413 Too Large"',
    );
  });

  it("never quotes a JSON error body it cannot read", () => {
    const body =
      '{"flattened_errors": {"entity": {"key": "-----BEGIN PRIVATE KEY-----"}}, "code": "x"';
    const outcome = classifyPush(answer(400, body), ctx);
    expect(outcome.kind).toBe("unexpectedBody");
    expect(
      outcome.kind !== "applied" && outcome.kind !== "unchanged" && outcome.error.message,
    ).not.toContain("PRIVATE");
  });
});

describe("classifyRead", () => {
  const hash = "0123456789abcdef0123456789abcdef";

  it.each([
    ["valid", answer(200, JSON.stringify({ configuration_hash: hash, memory: {} })), "ok"],
    ["garbage", answer(200, "}{ not json"), "ERR_KONG_UNEXPECTED_RESPONSE"],
    ["HTML", answer(200, "<!doctype html><title>Login</title>"), "ERR_KONG_UNEXPECTED_RESPONSE"],
    ["truncated JSON", answer(200, '{"configuration_hash":"01'), "ERR_KONG_UNEXPECTED_RESPONSE"],
    ["wrong hash shape", answer(200, '{"configuration_hash":42}'), "ERR_KONG_UNEXPECTED_RESPONSE"],
    ["empty 200", answer(200, ""), "ERR_KONG_UNEXPECTED_RESPONSE"],
    ["404", answer(404, '{"message":"Not found"}'), "ERR_KONG_HTTP"],
    ["503", answer(503, "{}"), "ERR_KONG_BUSY"],
    [
      "cut off",
      { kind: "bodyFailed", status: 200, headers: {}, error: new Error("closed") },
      "ERR_KONG_UNEXPECTED_RESPONSE",
    ],
    [
      "reset",
      { kind: "failed", error: systemError("ECONNRESET"), timedOut: false },
      "ERR_KONG_UNREACHABLE",
    ],
  ] satisfies [string, Exchange, string][])("%s", (_name, exchange, expected) => {
    const outcome = classifyRead(exchange, statusInfoSchema, ctx);
    expect(outcome.ok ? "ok" : outcome.error.code).toBe(expected);
  });

  it("returns the parsed body", () => {
    const outcome = classifyRead(
      answer(200, JSON.stringify({ configuration_hash: hash })),
      statusInfoSchema,
      ctx,
    );
    expect(outcome).toEqual({ ok: true, value: { configuration_hash: hash } });
  });
});

describe("unreachableReason", () => {
  it.each([
    ["ECONNREFUSED", "refused"],
    ["ECONNRESET", "reset"],
    ["UND_ERR_SOCKET", "reset"],
    ["UND_ERR_CONNECT_TIMEOUT", "timeout"],
    ["UND_ERR_HEADERS_TIMEOUT", "timeout"],
    ["ENOTFOUND", "dns"],
    ["DEPTH_ZERO_SELF_SIGNED_CERT", "tls"],
    ["ERR_TLS_CERT_ALTNAME_INVALID", "tls"],
    ["UNABLE_TO_VERIFY_LEAF_SIGNATURE", "tls"],
    ["EWHATEVER", "other"],
  ])("%s is %s", (code, reason) => {
    expect(unreachableReason(systemError(code))).toBe(reason);
  });

  it("looks through wrapped causes", () => {
    const wrapped = new Error("fetch failed", { cause: systemError("ECONNREFUSED") });
    expect(unreachableReason(wrapped)).toBe("refused");
  });
});

describe("parseRetryAfter", () => {
  const now = Date.UTC(2026, 0, 1, 12, 0, 0);

  it.each([
    ["10", 10_000],
    ["0", 0],
    ["3.456", 3456],
    [" 2 ", 2000],
    ["Thu, 01 Jan 2026 12:00:05 GMT", 5000],
    ["Thu, 01 Jan 2026 11:59:00 GMT", 0],
    ["soon", undefined],
    [undefined, undefined],
  ])("%s → %s ms", (value, expected) => {
    expect(parseRetryAfter(value, now)).toBe(expected);
  });
});

describe("describeBody", () => {
  it.each([
    ["", "empty body"],
    ["<html><head><title>502 Bad Gateway</title></head></html>", 'HTML page "502 Bad Gateway"'],
    ["<p>hi</p>", "HTML page"],
    ['{"a":1', "malformed or truncated JSON (6 bytes)"],
    ['{"a":1}', "JSON of an unexpected shape (7 bytes)"],
    ["OK\u0000ok", 'not JSON: "OK?ok"'],
  ])("%j", (body, expected) => {
    expect(describeBody(body)).toBe(expected);
  });
});
