/**
 * Path rules: `typedefs.path` (services), `typedefs.router_paths` and `validate_path_with_regexes`
 * (routes), Kong's URI normalisation (kong/tools/uri.lua) and, through regex.ts, regex compilation in
 * Kong's dialects.
 */
import { pcreError } from "./regex.ts";

export { pcreError, rustRegexError } from "./regex.ts";

const RFC3986_PATH = /^\/[\w.\-~/%:@!$&'()*+,;=]*$/;

/** The first malformed percent-escape (`%zz`, a lone `%`), as Kong quotes it, or undefined. */
function badPercent(path: string): string | undefined {
  const raw = path.replace(/%[0-9a-fA-F]{2}/g, "___");
  const at = raw.indexOf("%");
  return at === -1 ? undefined : raw.slice(at, at + 3);
}

/** `typedefs.path` custom validator (services.path), after `starts_with` and the `//` check. */
export function validateServicePath(path: string): string | undefined {
  if (!RFC3986_PATH.test(path)) {
    return `invalid path: '${path}' (characters outside of the reserved list of RFC 3986 found)`;
  }
  const bad = badPercent(path);
  return bad === undefined ? undefined : `invalid url-encoded value: '${bad}'`;
}

const UNRESERVED = /^[A-Za-z0-9\-._~]$/;

function decodeUnreserved(path: string): string {
  return path.replace(/%[0-9a-fA-F]{2}/g, escape => {
    const ch = String.fromCharCode(Number.parseInt(escape.slice(1), 16));
    return UNRESERVED.test(ch) ? ch : escape.toUpperCase();
  });
}

/** RFC 3986 §5.2.4 remove_dot_segments. */
export function removeDotSegments(path: string): string {
  let input = path;
  const output: string[] = [];
  while (input.length > 0) {
    if (input.startsWith("../")) input = input.slice(3);
    else if (input.startsWith("./")) input = input.slice(2);
    else if (input.startsWith("/./")) input = input.slice(2);
    else if (input === "/.") input = "/";
    else if (input.startsWith("/../") || input === "/..") {
      input = input === "/.." ? "/" : input.slice(3);
      output.pop();
    } else if (input === "." || input === "..") input = "";
    else {
      const next = input.indexOf("/", input.startsWith("/") ? 1 : 0);
      const segment = next === -1 ? input : input.slice(0, next);
      output.push(segment);
      input = input.slice(segment.length);
    }
  }
  return output.join("");
}

/** Kong's `normalize(uri, true)`: unreserved escapes decoded, dot segments removed, slashes merged. */
export function normalizePath(path: string): string {
  if (path === "" || path === "/") return path;
  let out = path.includes("%") ? decodeUnreserved(path) : path;
  if (out.includes("/.")) out = removeDotSegments(out);
  return out.replace(/\/\/+/g, "/");
}

/** One element of routes.paths, after the `//` and `/`-or-`~/` pattern checks. */
export function validateRoutePath(path: string): string | undefined {
  const bad = badPercent(path);
  if (bad !== undefined) return `invalid url-encoded value: '${bad}'`;
  if (!path.startsWith("~")) {
    const normalized = normalizePath(path);
    return normalized === path
      ? undefined
      : `non-normalized path, consider use '${normalized}' instead`;
  }
  const regex = path.slice(1);
  const err = pcreError(regex);
  return err === undefined ? undefined : `invalid regex: '${regex}' (PCRE returned: ${err})`;
}
