/**
 * Route filters to Kong plugins, KIC's mapping (kic-conventions.md §3.4): header changes and URL rewrites
 * to the request- and response-transformer (filters of one plugin merge into one instance, since Kong
 * allows one per route), redirects to the `redirect` plugin, fixed answers to request-termination.
 * Plugins carry the route's tags, so a rejected plugin maps back to the route's object.
 */
import type { KongPlugin } from "../../kong/types.ts";
import { compareStrings } from "../../util/compare.ts";
import type { HeaderChanges, HttpFilter, PathRewrite } from "../ir/types.ts";

interface Transformer {
  readonly add: string[];
  readonly append: string[];
  readonly remove: string[];
  readonly replace: string[];
  uri: string | undefined;
}

const newTransformer = (): Transformer => ({
  add: [],
  append: [],
  remove: [],
  replace: [],
  uri: undefined,
});

export function filterPlugins(
  filters: readonly HttpFilter[],
  tags: readonly string[],
): readonly KongPlugin[] {
  const request = newTransformer();
  const response = newTransformer();
  const plugins: KongPlugin[] = [];
  for (const f of filters) {
    switch (f.kind) {
      case "requestHeaders":
        addChanges(request, f.changes);
        break;
      case "responseHeaders":
        addChanges(response, f.changes);
        break;
      case "urlRewrite":
        if (f.hostname !== undefined) setHeader(request, "host", f.hostname);
        if (f.path !== undefined) request.uri = rewrittenUri(f.path);
        break;
      case "redirect":
        plugins.push({ name: "redirect", config: redirectConfig(f), tags });
        break;
      case "respond":
        plugins.push({
          name: "request-termination",
          config: { status_code: f.statusCode, message: f.message },
          tags,
        });
        break;
      case "plugin":
        // A KongPlugin: written with the other plugin objects (plugin-attach.ts).
        break;
    }
  }
  for (const [name, t] of [
    ["request-transformer", request],
    ["response-transformer", response],
  ] as const) {
    const config = transformerConfig(t);
    if (config !== undefined) plugins.push({ name, config, tags });
  }
  return plugins.sort((a, b) => compareStrings(a.name, b.name));
}

/** Gateway API `set` replaces the header if present and adds it if not: both lists, as KIC does. */
function setHeader(t: Transformer, name: string, value: string): void {
  t.replace.push(`${name}:${value}`);
  t.add.push(`${name}:${value}`);
}

function addChanges(t: Transformer, changes: HeaderChanges): void {
  for (const h of changes.set) setHeader(t, h.name, h.value);
  for (const h of changes.add) t.append.push(`${h.name}:${h.value}`);
  t.remove.push(...changes.remove);
}

function transformerConfig(t: Transformer): Readonly<Record<string, unknown>> | undefined {
  const config: Record<string, unknown> = {};
  if (t.add.length > 0) config["add"] = { headers: t.add };
  if (t.append.length > 0) config["append"] = { headers: t.append };
  if (t.remove.length > 0) config["remove"] = { headers: t.remove };
  if (t.replace.length > 0 || t.uri !== undefined) {
    config["replace"] = {
      ...(t.replace.length > 0 ? { headers: t.replace } : {}),
      ...(t.uri === undefined ? {} : { uri: t.uri }),
    };
  }
  return Object.keys(config).length === 0 ? undefined : config;
}

/**
 * The upstream path: the given one, or for a prefix rewrite the new prefix followed by what the route's
 * regex path captured after the old one (request-transformer templates; nothing captured for an exact hit).
 */
function rewrittenUri(path: PathRewrite): string {
  if (path.kind === "full") return path.value;
  const base = path.value.replace(/\/+$/, "");
  return base === "" ? '$(uri_captures[1] or "/")' : `${base}$(uri_captures[1] or "")`;
}

function redirectConfig(
  f: Extract<HttpFilter, { kind: "redirect" }>,
): Readonly<Record<string, unknown>> {
  const port = f.port === undefined ? "" : `:${f.port}`;
  const path = f.path?.kind === "full" ? f.path.value : "";
  return {
    status_code: f.statusCode,
    location: `${f.scheme ?? "http"}://${f.hostname ?? ""}${port}${path}`,
    keep_incoming_path: f.path === undefined,
  };
}
