/**
 * Ingress paths to Kong route paths, following KIC's table (kic-conventions.md §2.2) with one deliberate
 * difference: literal Exact/Prefix paths are regex-escaped inside the `~…$` form. KIC pastes them raw,
 * so `/a.b` also matches `/aXb` and `/a(b` produces a regex Kong rejects, taking down the whole config.
 */

/** Kong 3.x marks regex paths with this prefix. */
export const KONG_REGEX_PREFIX = "~";
/** The controller-side marker for a regex path in an Ingress (Ingress paths must start with `/`). */
export const DEFAULT_REGEX_PREFIX = "/~";

export type PathTranslation =
  | { readonly ok: true; readonly paths: readonly string[] }
  | { readonly ok: false; readonly reason: string; readonly message: string };

/** Collapses repeated slashes; an empty path means `/`. */
export function normalizeIngressPath(path: string | undefined): string {
  const collapsed = (path ?? "").replace(/\/{2,}/g, "/");
  return collapsed === "" ? "/" : collapsed;
}

const REGEX_SPECIALS = /[.*+?^${}()|[\]\\]/g;

function escapeRegex(literal: string): string {
  return literal.replace(REGEX_SPECIALS, "\\$&");
}

export function translatePath(input: {
  readonly path: string | undefined;
  readonly pathType: string | undefined;
  readonly regexPrefix: string;
}): PathTranslation {
  const path = normalizeIngressPath(input.path);
  const pathType = input.pathType ?? "ImplementationSpecific";
  switch (pathType) {
    case "Prefix": {
      const base = path.replace(/^\/+|\/+$/g, "");
      if (base === "") return { ok: true, paths: ["/"] };
      return checked([`/${base}/`, `${KONG_REGEX_PREFIX}/${escapeRegex(base)}$`]);
    }
    case "Exact":
      return checked([`${KONG_REGEX_PREFIX}/${escapeRegex(path.replace(/^\/+/, ""))}$`]);
    case "ImplementationSpecific":
      return checked([implementationSpecific(path, input.regexPrefix)]);
    default:
      return {
        ok: false,
        reason: "InvalidPathType",
        message: `pathType "${pathType}" is not one of Exact, Prefix, ImplementationSpecific`,
      };
  }
}

function implementationSpecific(path: string, regexPrefix: string): string {
  return path.startsWith(regexPrefix) ? KONG_REGEX_PREFIX + path.slice(regexPrefix.length) : path;
}

/**
 * Catches what Kong would reject for the whole config (kong-admin-api.md §2.6 route path rules), so one
 * bad path costs only that path.
 */
function checked(paths: readonly string[]): PathTranslation {
  for (const p of paths) {
    const problem = p.startsWith(KONG_REGEX_PREFIX) ? regexProblem(p.slice(1)) : prefixProblem(p);
    if (problem !== undefined) return { ok: false, reason: "InvalidPath", message: problem };
  }
  return { ok: true, paths };
}

function regexProblem(regex: string): string | undefined {
  if (!regex.startsWith("/"))
    return `regex path "~${regex}" must start with "/" after the regex marker`;
  try {
    new RegExp(regex, "u");
  } catch (err) {
    return `invalid regex "${regex}": ${(err as Error).message}`;
  }
  // Kong's default router (traditional_compatible) compiles paths with Rust's regex crate, which has
  // neither look-around nor back-references (kong-admin-api.md §2.6).
  if (/\(\?<?[=!]/.test(regex))
    return `regex "${regex}" uses look-around, which Kong's router does not support`;
  if (/\\[1-9]/.test(regex))
    return `regex "${regex}" uses a back-reference, which Kong's router does not support`;
  return undefined;
}

function prefixProblem(path: string): string | undefined {
  if (!path.startsWith("/")) return `path "${path}" must start with "/"`;
  if (/(^|\/)\.{1,2}(\/|$)/.test(path))
    return `path "${path}" contains "." or ".." segments, which Kong rejects as non-normalized`;
  if (/%(?![0-9A-Fa-f]{2})/.test(path))
    return `path "${path}" contains an invalid percent-encoding`;
  return undefined;
}
