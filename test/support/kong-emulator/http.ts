/** Response helpers with the headers Kong puts on every Admin API answer (kong-admin-api.md §1). */
import type { IncomingMessage, ServerResponse } from "node:http";

export interface ReplyContext {
  readonly version: string;
  readonly startedAt: number;
}

export interface Reply {
  readonly status: number;
  /** JSON-serialised unless `raw` is set. */
  readonly body?: unknown;
  readonly raw?: string;
  readonly contentType?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

function baseHeaders(req: IncomingMessage, ctx: ReplyContext): Record<string, string> {
  const origin = req.headers.origin;
  return {
    "Access-Control-Allow-Origin": typeof origin === "string" ? origin : "*",
    "Access-Control-Allow-Credentials": "true",
    "X-Kong-Admin-Latency": String(Math.max(0, Date.now() - ctx.startedAt)),
    Server: `kong/${ctx.version}`,
  };
}

/** Writes a reply; `HEAD` gets the headers only. */
export function send(
  req: IncomingMessage,
  res: ServerResponse,
  reply: Reply,
  ctx: ReplyContext,
): void {
  const headers = { ...baseHeaders(req, ctx), ...reply.headers };
  let text = "";
  if (reply.raw !== undefined) {
    text = reply.raw;
    if (reply.contentType !== undefined) headers["Content-Type"] = reply.contentType;
  } else if (reply.body !== undefined) {
    text = JSON.stringify(reply.body);
    headers["Content-Type"] = reply.contentType ?? "application/json; charset=utf-8";
  }
  headers["Content-Length"] = String(Buffer.byteLength(text));
  res.writeHead(reply.status, headers);
  res.end(req.method === "HEAD" ? undefined : text);
}

export const json = (status: number, body: unknown, headers?: Record<string, string>): Reply =>
  headers === undefined ? { status, body } : { status, body, headers };

export const message = (status: number, text: string): Reply => json(status, { message: text });

export const NOT_FOUND = message(404, "Not found");
export const METHOD_NOT_ALLOWED = message(405, "Method not allowed");

/** nginx's own error page, as sent before any Kong code runs (413, mTLS 400). */
export function nginxHtml(status: number, title: string, detail?: string): Reply {
  const lines = [
    "<html>",
    `<head><title>${status} ${title}</title></head>`,
    "<body>",
    `<center><h1>${status} ${title}</h1></center>`,
    ...(detail === undefined ? [] : [`<center>${detail}</center>`]),
    "<hr><center>openresty</center>",
    "</body>",
    "</html>",
    "",
  ];
  return { status, raw: lines.join("\r\n"), contentType: "text/html" };
}

/** Kong's default bodies for injected HTTP errors (§3.2, §7). */
export function defaultFaultBody(status: number): Reply {
  switch (status) {
    case 401:
      return message(401, "Invalid credentials. Token or User credentials required");
    case 403:
      return message(403, "Forbidden");
    case 404:
      return NOT_FOUND;
    case 413:
      return message(
        413,
        'Configuration does not fit in LMDB database, consider raising the "lmdb_map_size" config for Kong',
      );
    case 429:
      return json(
        429,
        { message: "Currently loading previous configuration" },
        { "Retry-After": "10" },
      );
    case 503:
      return message(503, "Kong currently exiting");
    case 504:
      return message(504, "Timed out while loading configuration");
    default:
      return message(status, "An unexpected error occurred");
  }
}
