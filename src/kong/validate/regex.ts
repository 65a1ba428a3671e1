/**
 * Kong's two regex dialects, judged with re2js (a port of RE2, whose syntax Rust's `regex` crate
 * follows closely) instead of JavaScript's RegExp, whose `u` mode refuses valid Kong patterns such as
 * `\-` and `(?i)` after the start:
 * - PCRE2, which the route schema compiles every regex path with (`ngx.re.find("", re, "aj")`,
 *   routes.lua `validate_path_with_regexes`): PCRE-only syntax is rewritten into an RE2 equivalent
 *   first, so that only what PCRE itself refuses is refused;
 * - Rust's `regex` crate, which the ATC router of the `traditional_compatible` and `expressions`
 *   flavours compiles `^<regex>` with: look-around, back-references and the PCRE-only syntax are refused
 *   with regex-syntax's own messages, the rest is left to RE2's parser.
 * The message texts follow PCRE2's and regex-syntax's; the caret line of a Rust error points at the
 * offending text as well as RE2's parser reports it (exact for the refusals found by the scan).
 */
import { RE2JS } from "re2js";

type Dialect = "pcre" | "rust";

interface Rewrite {
  readonly start: number;
  readonly end: number;
  readonly text: string;
}

interface Refusal {
  readonly start: number;
  readonly end: number;
  readonly message: string;
}

interface Scan {
  readonly rewrites: Rewrite[];
  refusal: Refusal | undefined;
}

const RUST = {
  lookAround: "look-around, including look-ahead and look-behind, is not supported",
  backreference: "backreferences are not supported",
  escape: "unrecognized escape sequence",
  flag: "unrecognized flag",
} as const;

const PCRE_BAD_GROUP = "unrecognized character after (? or (?-";

/** Flags each engine knows; the ones RE2's parser lacks are dropped before it sees the group. */
const FLAGS: Readonly<Record<Dialect, { readonly known: string; readonly re2: string }>> = {
  pcre: { known: "imsxnUJ", re2: "imsU" },
  rust: { known: "imsUuxR", re2: "imsU" },
};

/** PCRE-only escapes; Rust refuses them all, RE2 reads each replacement alike for syntax. */
const PCRE_ONLY_ESCAPES = new Set(["Z", "h", "H", "R", "K", "G", "X", "N", "V", "e", "c"]);

function refuse(scan: Scan, refusal: Refusal): void {
  scan.refusal ??= refusal;
}

/** A back-reference escape at `i` (`\1`, `\k<n>`, `\g{1}`, `\g-1`): its length, or 0. */
function backreferenceLength(p: string, i: number): number {
  const m = /^\\(?:[1-9]\d*|k(?:<\w*>|\{\w*\}|'\w*')|g(?:\{-?\w*\}|[+-]?\d+))/.exec(p.slice(i));
  return m === null ? 0 : m[0].length;
}

function scanEscape(p: string, i: number, ctx: { scan: Scan; dialect: Dialect }): number {
  const { scan, dialect } = ctx;
  const backref = backreferenceLength(p, i);
  if (backref > 0) {
    if (dialect === "rust") refuse(scan, { start: i, end: i + 2, message: RUST.backreference });
    else scan.rewrites.push({ start: i, end: i + backref, text: "(?:)" });
    return backref;
  }
  const next = p[i + 1] ?? "";
  if (next === "Q") {
    if (dialect === "rust") refuse(scan, { start: i, end: i + 2, message: RUST.escape });
    const close = p.indexOf("\\E", i + 2);
    return close === -1 ? p.length - i : close + 2 - i;
  }
  if (next === "E") {
    // PCRE ignores an `\E` that ends no `\Q`.
    if (dialect === "rust") refuse(scan, { start: i, end: i + 2, message: RUST.escape });
    else scan.rewrites.push({ start: i, end: i + 2, text: "" });
    return 2;
  }
  if (PCRE_ONLY_ESCAPES.has(next)) {
    const length = next === "c" ? 3 : 2;
    if (dialect === "rust") refuse(scan, { start: i, end: i + 2, message: RUST.escape });
    else scan.rewrites.push({ start: i, end: i + length, text: "\\x20" });
    return length;
  }
  return next === "" ? 1 : 2;
}

/** The length of a character class starting at `i`, escapes and POSIX names included. */
function classLength(p: string, i: number, ctx: { scan: Scan; dialect: Dialect }): number {
  let j = i + 1;
  if (p[j] === "^") j++;
  if (p[j] === "]") j++;
  while (j < p.length && p[j] !== "]") {
    if (p[j] === "\\") j += scanEscape(p, j, ctx);
    else if (p.startsWith("[:", j) && p.indexOf(":]", j + 2) !== -1) j = p.indexOf(":]", j + 2) + 2;
    else j++;
  }
  return j + 1 - i;
}

/** The index just past the `)` that closes the group opened at `i`, or the pattern's end. */
function closeOf(p: string, i: number): number {
  const close = p.indexOf(")", i);
  return close === -1 ? p.length : close + 1;
}

function flagGroup(p: string, i: number, ctx: { scan: Scan; dialect: Dialect }): number {
  const m = /^\(\?([A-Za-z^-]*)([):])/.exec(p.slice(i));
  if (m === null) return 0;
  const letters = m[1] ?? "";
  const flags = FLAGS[ctx.dialect];
  const unknown = Array.from(letters).findIndex(
    c => c !== "-" && c !== "^" && !flags.known.includes(c),
  );
  if (unknown !== -1) {
    const at = i + 2 + unknown;
    const message = ctx.dialect === "rust" ? RUST.flag : PCRE_BAD_GROUP;
    refuse(ctx.scan, { start: at, end: at + 1, message });
    return m[0].length;
  }
  const kept = Array.from(letters)
    .filter(c => c === "-" || flags.re2.includes(c))
    .join("");
  if (kept === letters) return m[0].length;
  const empty = kept.replaceAll("-", "") === "";
  const text = m[2] === ":" ? (empty ? "(?:" : `(?${kept}:`) : empty ? "" : `(?${kept})`;
  ctx.scan.rewrites.push({ start: i, end: i + m[0].length, text });
  return m[0].length;
}

/** PCRE groups RE2 lacks, by their opening text: what RE2 should read instead. */
const PCRE_GROUPS: readonly (readonly [RegExp, "open" | "whole" | "drop", boolean])[] = [
  // [opener, replacement kind, is look-around]
  [/^\(\?<?[=!]/, "open", true],
  [/^\(\?[>|]/, "open", false],
  [/^\(\?\((?:[^)]*)\)/, "open", false],
  [/^\(\?'(\w+)'/, "open", false],
  [/^\(\?(?:P[>=]\w+|&\w+|R|[+-]?\d+)\)/, "whole", false],
  [/^\(\?(?:#|C)/, "drop", false],
  [/^\(\*[A-Z_]*(?::[^)]*)?\)/, "drop", false],
];

function pcreGroup(p: string, i: number, ctx: { scan: Scan; dialect: Dialect }): number {
  const rest = p.slice(i);
  for (const [opener, kind, lookAround] of PCRE_GROUPS) {
    const m = opener.exec(rest);
    if (m === null) continue;
    if (ctx.dialect === "rust") {
      // regex-syntax reads `(?` as the start of flags: the first character that is none is refused.
      const message = lookAround ? RUST.lookAround : RUST.flag;
      const end = lookAround ? i + m[0].length : i + 3;
      refuse(ctx.scan, { start: lookAround ? i : i + 2, end, message });
      return m[0].length;
    }
    const named = /^\(\?'(\w+)'/.exec(m[0]);
    if (named !== null) {
      ctx.scan.rewrites.push({ start: i, end: i + m[0].length, text: `(?P<${named[1] ?? ""}>` });
    } else if (kind === "open") {
      ctx.scan.rewrites.push({ start: i, end: i + m[0].length, text: "(?:" });
    } else {
      const end = kind === "whole" ? i + m[0].length : closeOf(p, i);
      ctx.scan.rewrites.push({ start: i, end, text: kind === "whole" ? "(?:)" : "" });
      return end - i;
    }
    return m[0].length;
  }
  return flagGroup(p, i, ctx);
}

const QUANTIFIER_END = new Set(["*", "+", "?", "}"]);

function scanPattern(p: string, dialect: Dialect): Scan {
  const scan: Scan = { rewrites: [], refusal: undefined };
  const ctx = { scan, dialect };
  let i = 0;
  while (i < p.length) {
    const c = p[i];
    let step = 1;
    if (c === "\\") step = scanEscape(p, i, ctx);
    else if (c === "[") step = classLength(p, i, ctx);
    else if (c === "(" && (p[i + 1] === "?" || p[i + 1] === "*")) step = pcreGroup(p, i, ctx) || 1;
    else if (dialect === "pcre" && QUANTIFIER_END.has(c ?? "") && p[i + 1] === "+") {
      // A possessive quantifier (`a*+`): RE2 reads the plain one alike.
      scan.rewrites.push({ start: i + 1, end: i + 2, text: "" });
      step = 2;
    }
    i += step;
  }
  return scan;
}

function applyRewrites(p: string, rewrites: readonly Rewrite[]): string {
  let out = "";
  let at = 0;
  for (const r of [...rewrites].sort((a, b) => a.start - b.start)) {
    if (r.start < at) continue;
    out += p.slice(at, r.start) + r.text;
    at = r.end;
  }
  return out + p.slice(at);
}

interface Re2Failure {
  readonly error: string;
  readonly input: string | undefined;
}

function re2Failure(pattern: string): Re2Failure | undefined {
  try {
    RE2JS.compile(pattern);
    return undefined;
  } catch (err) {
    const e = err as { error?: unknown; input?: unknown; message?: unknown };
    const error = typeof e.error === "string" ? e.error : String(e.message);
    return { error, input: typeof e.input === "string" ? e.input : undefined };
  }
}

const REPEAT = /^\{(\d+)(?:(,)(\d*))?\}$/;
/** RE2 caps counted repetition at 1000; PCRE2 at 65535, and Rust's parser at none. */
const RE2_MAX_REPEAT = 1000;
const PCRE_MAX_REPEAT = 65535;

type Retry = { readonly pattern: string } | { readonly own: string; readonly input: string };

/** A counted repetition RE2 refused: the dialect's own error, or the pattern with the count cut down. */
function retryRepeat(pattern: string, input: string, dialect: Dialect): Retry | undefined {
  const m = REPEAT.exec(input);
  if (m === null) return undefined;
  const min = Number(m[1]);
  const max = m[2] === undefined ? min : m[3] === "" ? undefined : Number(m[3]);
  if (max !== undefined && max < min) {
    const own =
      dialect === "pcre"
        ? "numbers out of order in {} quantifier"
        : "invalid repetition count range, the start must be <= the end";
    return { own, input };
  }
  if (dialect === "pcre" && Math.max(min, max ?? 0) > PCRE_MAX_REPEAT) {
    return { own: "number too big in {} quantifier", input };
  }
  const at = pattern.indexOf(input);
  if (at === -1 || Math.max(min, max ?? 0) <= RE2_MAX_REPEAT) return undefined;
  const low = Math.min(min, RE2_MAX_REPEAT);
  const high = max === undefined ? "" : String(Math.max(low, Math.min(max, RE2_MAX_REPEAT)));
  const cut = m[2] === undefined ? `{${String(low)}}` : `{${String(low)},${high}}`;
  return { pattern: pattern.slice(0, at) + cut + pattern.slice(at + input.length) };
}

/** Rust's parser takes a repetition of a repetition (`a**`, `a{2}*`); RE2's does not. */
function retryNested(pattern: string, input: string): Retry | undefined {
  const first = /^(?:[*+?]|\{[^}]*\})\??/.exec(input);
  const at = pattern.indexOf(input);
  if (first === null || at === -1) return undefined;
  return { pattern: pattern.slice(0, at) + first[0] + pattern.slice(at + input.length) };
}

function retry(pattern: string, failure: Re2Failure, dialect: Dialect): Retry | undefined {
  if (failure.input === undefined) return undefined;
  if (failure.error === "invalid repeat count") return retryRepeat(pattern, failure.input, dialect);
  if (failure.error === "invalid nested repetition operator" && dialect === "rust") {
    return retryNested(pattern, failure.input);
  }
  return undefined;
}

/** RE2's verdict on `pattern`, with the dialect's differences in repetitions applied. */
function judge(
  pattern: string,
  dialect: Dialect,
): Re2Failure | { readonly own: string; readonly input: string } | undefined {
  let current = pattern;
  // Each retry fixes one quantifier; a pattern has fewer than its length.
  for (let attempt = 0; attempt <= pattern.length; attempt++) {
    const failure = re2Failure(current);
    if (failure === undefined) return undefined;
    const next = retry(current, failure, dialect);
    if (next === undefined) return failure;
    if ("own" in next) return next;
    current = next.pattern;
  }
  return undefined;
}

const PCRE_MESSAGES: Readonly<Record<string, string>> = {
  "missing closing )": "missing closing parenthesis",
  "unexpected )": "unmatched closing parenthesis",
  "missing argument to repetition operator": "quantifier does not follow a repeatable item",
  "invalid nested repetition operator": "quantifier does not follow a repeatable item",
  "missing closing ]": "missing terminating ] for character class",
  "invalid or unsupported Perl syntax": PCRE_BAD_GROUP,
  "invalid character class range": "range out of order in character class",
  "trailing backslash at end of expression": "\\ at end of pattern",
  "invalid escape sequence": "unrecognized character follows \\",
  "invalid named capture": "subpattern name expected",
  "duplicate capture group name":
    "two named subpatterns have the same name (PCRE2_DUPNAMES not set)",
  "expression nests too deeply": "parentheses are too deeply nested",
  "expression too large": "regular expression is too large",
};

const RUST_MESSAGES: Readonly<Record<string, string>> = {
  "missing closing )": "unclosed group",
  "unexpected )": "unopened group",
  "missing argument to repetition operator": "repetition operator missing expression",
  "missing closing ]": "unclosed character class",
  "invalid or unsupported Perl syntax": RUST.flag,
  "invalid character class range": "invalid character class range, the start must be <= the end",
  "trailing backslash at end of expression":
    "incomplete escape sequence, reached end of pattern prematurely",
  "invalid escape sequence": RUST.escape,
  "invalid named capture": "invalid capture group character",
  "duplicate capture group name": "duplicate capture group name",
  "expression nests too deeply": "exceed the maximum number of nested parentheses/brackets (250)",
  "expression too large": "expression too large",
};

/**
 * Literals, escaped metacharacters, `.` and anchors: valid in every dialect. Most route regexes are
 * such (an Exact or Prefix path as the writer escapes it), and re2js compiles a whole program to
 * answer, a fraction of a millisecond each, which a cluster of Ingresses would pay per path.
 */
const PLAIN = /^(?:[^\\()[\]{}*+?|]|\\[.*+?^${}()|[\]\\/-])*$/;

/** PCRE2's compile error for `regex`, as OpenResty's `ngx.re` reports it, or undefined if it compiles. */
export function pcreError(regex: string): string | undefined {
  if (PLAIN.test(regex)) return undefined;
  const scan = scanPattern(regex, "pcre");
  const verdict = scan.refusal
    ? { own: scan.refusal.message }
    : judge(applyRewrites(regex, scan.rewrites), "pcre");
  if (verdict === undefined) return undefined;
  const text = "own" in verdict ? verdict.own : (PCRE_MESSAGES[verdict.error] ?? verdict.error);
  return `pcre2_compile() failed: ${text} in "${regex}"`;
}

function rustDisplay(pattern: string, refusal: Refusal): string {
  const pad = " ".repeat(refusal.start);
  const carets = "^".repeat(Math.max(1, refusal.end - refusal.start));
  return `regex parse error:\n    ${pattern}\n    ${pad}${carets}\nerror: ${refusal.message}`;
}

/**
 * The Rust `regex` crate's parse error (the ATC router's regex engine) for a route regex path, or
 * undefined. The router compiles `^<regex>`, with `(?<name>` spelled `(?P<name>`; the text follows
 * regex-syntax's Display: the pattern, a caret line, then `error: …`.
 */
export function rustRegexError(regex: string): string | undefined {
  if (PLAIN.test(regex)) return undefined;
  const anchored = `^${regex.replace(/\(\?<(?![=!])/g, "(?P<")}`;
  const scan = scanPattern(anchored, "rust");
  if (scan.refusal !== undefined) return rustDisplay(anchored, scan.refusal);
  const verdict = judge(applyRewrites(anchored, scan.rewrites), "rust");
  if (verdict === undefined) return undefined;
  const message = "own" in verdict ? verdict.own : (RUST_MESSAGES[verdict.error] ?? verdict.error);
  const input = verdict.input ?? anchored;
  const at = anchored.indexOf(input);
  const span =
    at === -1 ? { start: 0, end: anchored.length } : { start: at, end: at + input.length };
  return rustDisplay(anchored, { ...span, message });
}
