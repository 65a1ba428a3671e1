import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import type { AddressInfo, Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createKubeApi, splitLines, type KubeApi } from "../../../src/kube/client.ts";
import { KubeApiError, KubeProtocolError, KubeUnreachableError } from "../../../src/kube/errors.ts";

// A loopback HTTP server standing in for the API server: these tests are about the client's mapping
// of HTTP outcomes, not about Kubernetes semantics (the integration tests use a real kube-apiserver).
type Handler = (req: IncomingMessage, res: ServerResponse) => void;

let handler: Handler = (_req, res) => res.end();
let server: Server;
let dir: string;
let api: KubeApi;
let port: number;
const sockets = new Set<Socket>();

async function kubeconfigFor(serverUrl: string): Promise<string> {
  const path = join(dir, `kubeconfig-${Math.random()}`);
  // client-node 2.0.1 refuses plain http:// unless TLS verification is explicitly skipped.
  await writeFile(
    path,
    `apiVersion: v1
kind: Config
clusters: [{ name: c, cluster: { server: "${serverUrl}", insecure-skip-tls-verify: true } }]
users: [{ name: u, user: { token: secret-token } }]
contexts: [{ name: x, context: { cluster: c, user: u } }]
current-context: x
`,
  );
  return path;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "kongress-client-"));
  server = createServer((req, res) => {
    handler(req, res);
  });
  server.on("connection", s => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>(resolve => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
  api = createKubeApi({ kubeconfig: await kubeconfigFor(`http://127.0.0.1:${port}`) });
});

afterEach(() => {
  handler = (_req, res) => res.end();
});

afterAll(async () => {
  await api.close();
  for (const s of sockets) s.destroy();
  await new Promise(resolve => server.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

const signal = () => new AbortController().signal;

describe("getJson", () => {
  it("sends the path, query and credentials and returns the parsed body", async () => {
    let seen: { url?: string | undefined; auth?: string | undefined } = {};
    handler = (req, res) => {
      seen = { url: req.url, auth: req.headers.authorization };
      res.setHeader("content-type", "application/json");
      res.end('{"kind":"ServiceList","items":[]}');
    };
    const body = await api.getJson("/api/v1/services", {
      query: { limit: "2", continue: "a b" },
      signal: signal(),
    });
    expect(body).toEqual({ kind: "ServiceList", items: [] });
    expect(seen.url).toBe("/api/v1/services?limit=2&continue=a+b");
    expect(seen.auth).toBe("Bearer secret-token");
  });

  it.each([
    {
      status: 404,
      body: '{"kind":"Status","reason":"NotFound","message":"services \\"x\\" not found","code":404}',
      reason: "NotFound",
      message: 'services "x" not found',
    },
    {
      status: 410,
      body: '{"reason":"Expired","message":"too old"}',
      reason: "Expired",
      message: "too old",
    },
    { status: 503, body: "<html>busy</html>", reason: "", message: "<html>busy</html>" },
    { status: 500, body: "", reason: "", message: "HTTP 500" },
  ])("maps HTTP $status to KubeApiError", async ({ status, body, reason, message }) => {
    handler = (_req, res) => {
      res.statusCode = status;
      res.end(body);
    };
    const err = await api.getJson("/x", { signal: signal() }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KubeApiError);
    expect(err).toMatchObject({ code: "ERR_KUBE_API", statusCode: status, reason, message });
  });

  it("rejects a 200 that is not JSON with KubeProtocolError", async () => {
    handler = (_req, res) => res.end("not json");
    await expect(api.getJson("/x", { signal: signal() })).rejects.toBeInstanceOf(KubeProtocolError);
  });

  it("maps a refused connection to KubeUnreachableError", async () => {
    const closed = createServer();
    await new Promise<void>(resolve => closed.listen(0, "127.0.0.1", resolve));
    const closedPort = (closed.address() as AddressInfo).port;
    await new Promise(resolve => closed.close(resolve));
    const other = createKubeApi({
      kubeconfig: await kubeconfigFor(`http://127.0.0.1:${closedPort}`),
    });
    const err = await other.getJson("/x", { signal: signal() }).catch((e: unknown) => e);
    await other.close();
    expect(err).toBeInstanceOf(KubeUnreachableError);
    expect(err).toMatchObject({ code: "ERR_KUBE_UNREACHABLE" });
  });

  it("maps its own request timeout to KubeUnreachableError", async () => {
    handler = () => undefined;
    const slow = createKubeApi({
      kubeconfig: await kubeconfigFor(`http://127.0.0.1:${port}`),
      requestTimeoutMs: 50,
    });
    const err = await slow.getJson("/x", { signal: signal() }).catch((e: unknown) => e);
    await slow.close();
    expect(err).toBeInstanceOf(KubeUnreachableError);
  });

  it("rejects with the caller's abort reason, not as a failure", async () => {
    handler = () => undefined;
    const ac = new AbortController();
    const reason = new Error("stopping");
    const pending = api.getJson("/x", { signal: ac.signal });
    ac.abort(reason);
    await expect(pending).rejects.toBe(reason);
  });

  it("uses apiserverHost instead of the kubeconfig's server", async () => {
    handler = (_req, res) => res.end('{"ok":true}');
    const redirected = createKubeApi({
      kubeconfig: await kubeconfigFor("http://127.0.0.1:1"),
      apiserverHost: `http://127.0.0.1:${port}/`,
    });
    await expect(redirected.getJson("/x", { signal: signal() })).resolves.toEqual({ ok: true });
    await redirected.close();
  });
});

describe("watch", () => {
  async function collect(iterable: AsyncIterable<unknown>): Promise<unknown[]> {
    const out: unknown[] = [];
    for await (const e of iterable) out.push(e);
    return out;
  }

  it("adds watch=true and yields events split across arbitrary chunks", async () => {
    let url: string | undefined;
    handler = (req, res) => {
      url = req.url;
      res.writeHead(200, { "content-type": "application/json" });
      res.write('{"type":"ADDED","object":{"a":1}}\n{"type":"MOD');
      setImmediate(() => {
        res.write('IFIED","object":{"a":2}}\n\n');
        res.end('{"type":"DELETED","object":{"a":3}}');
      });
    };
    const events = await api.watch("/api/v1/secrets", {
      query: { resourceVersion: "5" },
      signal: signal(),
    });
    expect(await collect(events)).toEqual([
      { type: "ADDED", object: { a: 1 } },
      { type: "MODIFIED", object: { a: 2 } },
      { type: "DELETED", object: { a: 3 } },
    ]);
    expect(url).toBe("/api/v1/secrets?resourceVersion=5&watch=true");
  });

  it("rejects a non-200 answer before streaming", async () => {
    handler = (_req, res) => {
      res.statusCode = 410;
      res.end('{"reason":"Gone","message":"too old"}');
    };
    await expect(api.watch("/x", { signal: signal() })).rejects.toMatchObject({
      statusCode: 410,
      reason: "Gone",
    });
  });

  it("throws KubeUnreachableError when the connection breaks mid-stream", async () => {
    handler = (req, res) => {
      res.writeHead(200);
      res.write('{"type":"ADDED","object":{}}\n');
      setImmediate(() => req.socket.destroy());
    };
    const events = await api.watch("/x", { signal: signal() });
    const seen: unknown[] = [];
    const err = await (async () => {
      for await (const e of events) seen.push(e);
    })().catch((e: unknown) => e);
    expect(seen).toHaveLength(1);
    expect(err).toBeInstanceOf(KubeUnreachableError);
  });

  it("throws KubeProtocolError on a line that is not JSON", async () => {
    handler = (_req, res) => {
      res.writeHead(200);
      res.end("garbage\n");
    };
    const events = await api.watch("/x", { signal: signal() });
    await expect(collect(events)).rejects.toBeInstanceOf(KubeProtocolError);
  });

  it("ends with the caller's abort reason when stopped", async () => {
    handler = (_req, res) => {
      res.writeHead(200);
      res.write('{"type":"BOOKMARK","object":{}}\n');
    };
    const ac = new AbortController();
    const events = await api.watch("/x", { signal: ac.signal });
    const reason = new Error("stop");
    const seen: unknown[] = [];
    const err = await (async () => {
      for await (const e of events) {
        seen.push(e);
        ac.abort(reason);
      }
    })().catch((e: unknown) => e);
    expect(seen).toHaveLength(1);
    expect(err).toBe(reason);
  });
});

describe("splitLines", () => {
  async function lines(chunks: string[]): Promise<string[]> {
    async function* source() {
      for (const c of chunks) yield await Promise.resolve(new TextEncoder().encode(c));
    }
    const out: string[] = [];
    for await (const l of splitLines(source())) out.push(l);
    return out;
  }

  it.each([
    { chunks: ["a\nb\n"], expected: ["a", "b"] },
    { chunks: ["a", "b\n", "c"], expected: ["ab", "c"] },
    { chunks: ["\n\n a \r\n"], expected: ["a"] },
    { chunks: [], expected: [] },
  ])("$chunks → $expected", async ({ chunks, expected }) => {
    expect(await lines(chunks)).toEqual(expected);
  });

  it("joins a multi-byte character split across chunks", async () => {
    const bytes = new TextEncoder().encode("é\n");
    async function* source() {
      yield await Promise.resolve(bytes.slice(0, 1));
      yield bytes.slice(1);
    }
    const out: string[] = [];
    for await (const l of splitLines(source())) out.push(l);
    expect(out).toEqual(["é"]);
  });
});
