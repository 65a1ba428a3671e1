/**
 * Ingress paths to IR path matches, following KIC's table (kic-conventions.md §2.2) with one deliberate
 * difference: literal Exact/Prefix paths are exact matches, which the writer escapes inside the `~…$`
 * form. KIC pastes them raw, so `/a.b` also matches `/aXb` and `/a(b` produces a regex Kong rejects,
 * taking down the whole config.
 */
import type { PathMatch, PathSource } from "./ir/types.ts";
import { oneLine, routePathProblem } from "../kong/validate/fields.ts";
import { kongPath } from "./kong-writer/routes.ts";

/** The controller-side marker for a regex path in an Ingress (Ingress paths must start with `/`). */
export const DEFAULT_REGEX_PREFIX = "/~";

export type PathTranslation =
  | { readonly ok: true; readonly paths: readonly PathMatch[] }
  | { readonly ok: false; readonly reason: string; readonly message: string };

/** Collapses repeated slashes; an empty path means `/`. */
export function normalizeIngressPath(path: string | undefined): string {
  const collapsed = (path ?? "").replace(/\/{2,}/g, "/");
  return collapsed === "" ? "/" : collapsed;
}

export function translatePath(input: {
  readonly path: string | undefined;
  readonly pathType: string | undefined;
  readonly regexPrefix: string;
}): PathTranslation {
  const path = normalizeIngressPath(input.path);
  const pathType = input.pathType ?? "ImplementationSpecific";
  const translated = translateNormalized(path, pathType, input.regexPrefix);
  if (!translated.ok) return translated;
  // KIC's expressions router reads the path as written (kong-writer/expressions.ts).
  const regex = pathType === "ImplementationSpecific" && path.startsWith(input.regexPrefix);
  const source: PathSource = {
    index: 0,
    type: pathType,
    value: regex ? path.slice(input.regexPrefix.length) : path,
    ...(regex ? { regex } : {}),
  };
  return { ok: true, paths: translated.paths.map(p => ({ ...p, source })) };
}

function translateNormalized(path: string, pathType: string, regexPrefix: string): PathTranslation {
  switch (pathType) {
    case "Prefix": {
      const base = path.replace(/^\/+|\/+$/g, "");
      if (base === "") return { ok: true, paths: [{ kind: "prefix", value: "/" }] };
      return checked([
        { kind: "prefix", value: `/${base}/` },
        { kind: "exact", value: `/${base}` },
      ]);
    }
    case "Exact":
      return checked([{ kind: "exact", value: `/${path.replace(/^\/+/, "")}` }]);
    case "ImplementationSpecific":
      return checked([implementationSpecific(path, regexPrefix)]);
    default:
      return {
        ok: false,
        reason: "InvalidPathType",
        message: `pathType "${pathType}" is not one of Exact, Prefix, ImplementationSpecific`,
      };
  }
}

function implementationSpecific(path: string, regexPrefix: string): PathMatch {
  return path.startsWith(regexPrefix)
    ? { kind: "regex", value: path.slice(regexPrefix.length) }
    : { kind: "prefix", value: path };
}

/**
 * Each path as Kong will read it (as the writer spells it), judged by Kong's own rules
 * (src/kong/validate), so that a path Kong would refuse, and with it the whole config, costs only itself.
 */
function checked(paths: readonly PathMatch[]): PathTranslation {
  for (const match of paths) {
    const spelled = kongPath(match);
    const problem = routePathProblem(spelled);
    if (problem !== undefined) {
      return {
        ok: false,
        reason: "InvalidPath",
        message: `Kong refuses path "${spelled}": ${oneLine(problem)}`,
      };
    }
  }
  return { ok: true, paths };
}
