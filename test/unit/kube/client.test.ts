import { readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer, type Server as HttpsServer } from "node:https";
import type { AddressInfo, Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  createKubeApi,
  createKubeClients,
  splitLines,
  type KubeApi,
} from "../../../src/kube/client.ts";
import { KubeApiError, KubeProtocolError, KubeUnreachableError } from "../../../src/kube/errors.ts";
import { ManualClock, settle } from "../../support/manual-clock.ts";

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
  await writeFile(
    path,
    `apiVersion: v1
kind: Config
clusters: [{ name: c, cluster: { server: "${serverUrl}" } }]
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

  it("rejects a 200 document that is not JSON with KubeProtocolError (discovery falls back on it)", async () => {
    handler = (_req, res) => res.end("<html>a proxy's error page</html>");
    await expect(
      api.getDocument("/apis", { signal: signal(), etag: undefined }),
    ).rejects.toBeInstanceOf(KubeProtocolError);
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

  it("maps its own request deadline, on the injected clock, to KubeUnreachableError", async () => {
    handler = () => undefined;
    const clock = new ManualClock();
    const slow = createKubeApi({
      kubeconfig: await kubeconfigFor(`http://127.0.0.1:${port}`),
      requestTimeoutMs: 5_000,
      clock,
    });
    const pending = slow.getJson("/x", { signal: signal() }).catch((e: unknown) => e);
    await clock.advance(4_999);
    expect(clock.pending).toBe(1);
    await clock.advance(1);
    const err = await pending;
    await slow.close();
    expect(err).toBeInstanceOf(KubeUnreachableError);
    expect(err).toMatchObject({ message: "GET /x timed out" });
  });

  it("rejects requests in flight with KubeUnreachableError once closed", async () => {
    handler = () => undefined;
    const closing = createKubeApi({ kubeconfig: await kubeconfigFor(`http://127.0.0.1:${port}`) });
    const pending = closing.getJson("/x", { signal: signal() }).catch((e: unknown) => e);
    await settle();
    await closing.close();
    expect(await pending).toBeInstanceOf(KubeUnreachableError);
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

describe("healthStatus", () => {
  it("GETs a plain-text health endpoint with credentials and resolves with its status", async () => {
    const seen: { url?: string | undefined; auth?: string | undefined }[] = [];
    let status = 200;
    handler = (req, res) => {
      seen.push({ url: req.url, auth: req.headers.authorization });
      res.statusCode = status;
      res.setHeader("content-type", "text/plain");
      res.end(status === 200 ? "ok" : "[-]etcd failed: reason withheld\nreadyz check failed");
    };
    const clients = createKubeClients({
      kubeconfig: await kubeconfigFor(`http://127.0.0.1:${port}`),
    });
    try {
      expect(await clients.health.healthStatus("/readyz", { signal: signal() })).toBe(200);
      status = 500;
      expect(await clients.health.healthStatus("/readyz", { signal: signal() })).toBe(500);
    } finally {
      await clients.close();
    }
    expect(seen).toEqual([
      { url: "/readyz", auth: "Bearer secret-token" },
      { url: "/readyz", auth: "Bearer secret-token" },
    ]);
  });

  it("maps a refused connection to KubeUnreachableError", async () => {
    const closed = createServer();
    await new Promise<void>(resolve => closed.listen(0, "127.0.0.1", resolve));
    const closedPort = (closed.address() as AddressInfo).port;
    await new Promise(resolve => closed.close(resolve));
    const clients = createKubeClients({
      kubeconfig: await kubeconfigFor(`http://127.0.0.1:${closedPort}`),
    });
    const err = await clients.health
      .healthStatus("/readyz", { signal: signal() })
      .catch((e: unknown) => e);
    await clients.close();
    expect(err).toBeInstanceOf(KubeUnreachableError);
  });
});

describe("send", () => {
  interface Seen {
    method?: string | undefined;
    url?: string | undefined;
    contentType?: string | undefined;
    accept?: string | undefined;
    auth?: string | undefined;
    body?: string;
  }

  /** Answers with `status` and `body`, recording what was sent. */
  function answer(status: number, body: string): Seen {
    const seen: Seen = {};
    handler = (req, res) => {
      let received = "";
      req.setEncoding("utf8");
      req.on("data", (chunk: string) => (received += chunk));
      req.on("end", () => {
        Object.assign(seen, {
          method: req.method,
          url: req.url,
          contentType: req.headers["content-type"],
          accept: req.headers.accept,
          auth: req.headers.authorization,
          body: received,
        });
        res.statusCode = status;
        res.end(body);
      });
    };
    return seen;
  }

  it("POSTs a JSON body with credentials and returns the parsed answer", async () => {
    const seen = answer(201, '{"kind":"Event","metadata":{"name":"e1"}}');
    const body = { kind: "Event", metadata: { generateName: "web." }, count: 1 };
    const result = await api.send("POST", "/api/v1/namespaces/shop/events", {
      body,
      query: { fieldManager: "kongress" },
      signal: signal(),
    });
    expect(result).toEqual({ kind: "Event", metadata: { name: "e1" } });
    expect(seen).toEqual({
      method: "POST",
      url: "/api/v1/namespaces/shop/events?fieldManager=kongress",
      contentType: "application/json",
      accept: "application/json",
      auth: "Bearer secret-token",
      body: JSON.stringify(body),
    });
  });

  it.each([
    { contentType: "application/merge-patch+json", body: { status: { loadBalancer: {} } } },
    {
      contentType: "application/json-patch+json",
      body: [{ op: "replace", path: "/count", value: 2 }],
    },
    { contentType: "application/apply-patch+yaml", body: { apiVersion: "v1", kind: "Event" } },
  ])("PATCHes with the caller's content type $contentType", async ({ contentType, body }) => {
    const seen = answer(200, "{}");
    await api.send("PATCH", "/x", { body, contentType, signal: signal() });
    expect(seen).toMatchObject({ method: "PATCH", contentType, body: JSON.stringify(body) });
  });

  it("sends no body nor content type when there is none, and resolves undefined on an empty answer", async () => {
    const seen = answer(200, "");
    await expect(api.send("DELETE", "/x/y", { signal: signal() })).resolves.toBeUndefined();
    expect(seen).toMatchObject({ method: "DELETE", contentType: undefined, body: "" });
  });

  it.each([
    {
      status: 404,
      body: '{"kind":"Status","reason":"NotFound","message":"not found"}',
      reason: "NotFound",
    },
    {
      status: 409,
      body: '{"kind":"Status","reason":"Conflict","message":"changed"}',
      reason: "Conflict",
    },
    {
      status: 422,
      body: '{"kind":"Status","reason":"Invalid","message":"bad"}',
      reason: "Invalid",
    },
    {
      status: 403,
      body: '{"kind":"Status","reason":"Forbidden","message":"no"}',
      reason: "Forbidden",
    },
    { status: 500, body: "oops", reason: "" },
  ])("maps HTTP $status to KubeApiError with its status code", async ({ status, body, reason }) => {
    answer(status, body);
    const err = await api
      .send("PUT", "/x", { body: {}, signal: signal() })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KubeApiError);
    expect(err).toMatchObject({ statusCode: status, reason });
  });

  it("rejects a 2xx answer that is not JSON with KubeProtocolError", async () => {
    answer(200, "<html>");
    await expect(api.send("POST", "/x", { body: {}, signal: signal() })).rejects.toBeInstanceOf(
      KubeProtocolError,
    );
  });

  it("maps a refused connection to KubeUnreachableError", async () => {
    const other = createKubeApi({ kubeconfig: await kubeconfigFor("http://127.0.0.1:1") });
    const err = await other
      .send("POST", "/x", { body: {}, signal: signal() })
      .catch((e: unknown) => e);
    await other.close();
    expect(err).toBeInstanceOf(KubeUnreachableError);
  });
});

describe("TLS from the kubeconfig", () => {
  const certs = new URL("../../fixtures/certs/", import.meta.url);
  const b64 = (name: string): string => readFileSync(new URL(name, certs)).toString("base64");
  let tlsServer: HttpsServer;
  let tlsUrl: string;

  beforeAll(async () => {
    tlsServer = createHttpsServer(
      {
        cert: readFileSync(new URL("api.crt", certs)),
        key: readFileSync(new URL("api.key", certs)),
        // Only clients presenting the certificate this "CA" signed (itself) get in.
        ca: readFileSync(new URL("shop.crt", certs)),
        requestCert: true,
        rejectUnauthorized: true,
      },
      (_req, res) => res.end('{"ok":true}'),
    );
    await new Promise<void>(resolve => tlsServer.listen(0, "127.0.0.1", resolve));
    tlsUrl = `https://127.0.0.1:${(tlsServer.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    tlsServer.closeAllConnections();
    await new Promise(resolve => tlsServer.close(resolve));
  });

  async function tlsKubeconfig(cluster: string, user: string): Promise<string> {
    const path = join(dir, `tls-${Math.random()}`);
    await writeFile(
      path,
      `apiVersion: v1
kind: Config
clusters: [{ name: c, cluster: { server: "${tlsUrl}", ${cluster} } }]
users: [{ name: u, user: { ${user} } }]
contexts: [{ name: x, context: { cluster: c, user: u } }]
current-context: x
`,
    );
    return path;
  }

  const trusted = `certificate-authority-data: ${b64("api.crt")}, tls-server-name: api.example.com`;
  const clientCert = `client-certificate-data: ${b64("shop.crt")}, client-key-data: ${b64("shop.key")}`;

  it.each([
    {
      setup: "the CA, the server name and a client certificate",
      cluster: trusted,
      user: clientCert,
      ok: true,
    },
    {
      setup: "insecure-skip-tls-verify and a client certificate",
      cluster: "insecure-skip-tls-verify: true",
      user: clientCert,
      ok: true,
    },
    { setup: "no client certificate", cluster: trusted, user: "", ok: false },
    {
      setup: "a server name the certificate does not cover",
      cluster: `certificate-authority-data: ${b64("api.crt")}, tls-server-name: kube.internal`,
      user: clientCert,
      ok: false,
    },
    { setup: "the system's roots", cluster: "", user: clientCert, ok: false },
  ])("connects with $setup: $ok", async ({ cluster, user, ok }) => {
    const client = createKubeApi({ kubeconfig: await tlsKubeconfig(cluster, user) });
    const outcome = await client.getJson("/x", { signal: signal() }).catch((e: unknown) => e);
    await client.close();
    if (ok) expect(outcome).toEqual({ ok: true });
    else expect(outcome).toBeInstanceOf(KubeUnreachableError);
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

  it("asks for the representation the caller names in Accept", async () => {
    const accepts: (string | undefined)[] = [];
    handler = (req, res) => {
      accepts.push(req.headers.accept);
      res.end('{"kind":"PartialObjectMetadataList","metadata":{"resourceVersion":"1"},"items":[]}');
    };
    const accept =
      "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json";
    await api.getJson("/api/v1/secrets", { accept, signal: signal() });
    await collect(await api.watch("/api/v1/secrets", { accept, signal: signal() }));
    expect(accepts).toEqual([accept, accept]);
  });

  it("ends a watch in flight with KubeUnreachableError once the client is closed", async () => {
    handler = (_req, res) => {
      res.writeHead(200);
      res.write('{"type":"BOOKMARK","object":{}}\n');
    };
    const closing = createKubeApi({ kubeconfig: await kubeconfigFor(`http://127.0.0.1:${port}`) });
    const events = await closing.watch("/x", { signal: signal() });
    const err = await (async () => {
      for await (const event of events) if (event !== undefined) await closing.close();
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KubeUnreachableError);
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
