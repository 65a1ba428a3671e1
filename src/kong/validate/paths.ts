/**
 * Path rules: `typedefs.path` (services), `typedefs.router_paths` and `validate_path_with_regexes`
 * (routes), Kong's URI normalisation (kong/tools/uri.lua) and regex compilation. JS RegExp stands in for
 * PCRE; PCRE-only syntax is rewritten first so that valid PCRE is not rejected.
 */

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

/** Rewrites PCRE-only syntax into its JS equivalent so that JS can judge whether PCRE compiles it. */
export function pcreToJs(regex: string): string {
  return regex
    .replace(/\(\?P</g, "(?<")
    .replace(/\(\?P=(\w+)\)/g, "\\k<$1>")
    .replace(/\(\?P>(\w+)\)/g, "(?:)")
    .replace(/^\(\?[imsx]+\)/, "")
    .replace(/\(\?>/g, "(?:")
    .replace(/([*+?}])\+/g, "$1")
    .replace(/\\A/g, "^")
    .replace(/\\[zZ]/g, "$");
}

const PCRE_MESSAGES: readonly (readonly [RegExp, string])[] = [
  [/Unterminated group/i, "missing closing parenthesis"],
  [/Unmatched '\)'/i, "unmatched closing parenthesis"],
  [/Nothing to repeat/i, "quantifier does not follow a repeatable item"],
  [/Unterminated character class/i, "missing terminating ] for character class"],
  [/Invalid group/i, "unrecognized character after (? or (?-"],
  [/out of order in \{\}/i, "numbers out of order in {} quantifier"],
  [/Range out of order/i, "range out of order in character class"],
  [/\\ at end of pattern/i, "\\ at end of pattern"],
];

/** PCRE2's compile error for `regex`, as OpenResty's `ngx.re` reports it, or undefined if it compiles. */
export function pcreError(regex: string): string | undefined {
  try {
    new RegExp(pcreToJs(regex));
    return undefined;
  } catch (e) {
    const text = e instanceof Error ? e.message : String(e);
    const known = PCRE_MESSAGES.find(([re]) => re.test(text));
    return `pcre2_compile() failed: ${known?.[1] ?? text} in "${regex}"`;
  }
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

interface RustRegexProblem {
  readonly start: number;
  readonly length: number;
  readonly message: string;
}

const RUST_UNSUPPORTED: readonly (readonly [RegExp, string])[] = [
  [/\(\?<?[=!]/, "look-around, including look-ahead and look-behind, is not supported"],
  [/\\[1-9]|\\k<\w+>/, "backreferences are not supported"],
];

function rustProblem(regex: string): RustRegexProblem | undefined {
  for (const [re, message] of RUST_UNSUPPORTED) {
    const m = re.exec(regex);
    if (m !== null) return { start: m.index, length: m[0].length, message };
  }
  return undefined;
}

/**
 * The Rust `regex` crate's parse error (the ATC router's regex engine) for a route regex path, or
 * undefined. The text follows regex-syntax's Display: the pattern, a caret line, then `error: …`.
 */
export function rustRegexError(regex: string): string | undefined {
  const anchored = `^${regex.replace(/\(\?</g, (m, offset: number, all: string) =>
    all[offset + 3] === "=" || all[offset + 3] === "!" ? m : "(?P<",
  )}`;
  const problem = rustProblem(anchored);
  if (problem === undefined) return undefined;
  const pad = " ".repeat(problem.start);
  return `regex parse error:\n    ${anchored}\n    ${pad}${"^".repeat(problem.length)}\nerror: ${problem.message}`;
}
