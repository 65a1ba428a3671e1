/**
 * Renders an error table the way Kong's message does (`pl.pretty.write(t, "")`): array part first,
 * then `key=value` with bare identifiers and bracketed other keys, strings quoted as Lua would read
 * them back. Keys are sorted, since Lua's hash order cannot be reproduced.
 */

const LUA_KEYWORDS = new Set([
  "and",
  "break",
  "do",
  "else",
  "elseif",
  "end",
  "false",
  "for",
  "function",
  "goto",
  "if",
  "in",
  "local",
  "nil",
  "not",
  "or",
  "repeat",
  "return",
  "then",
  "true",
  "until",
  "while",
]);

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Lua's `%q`: quotes, backslashes and newlines escaped, control characters as `\ddd`. */
function percentQ(s: string): string {
  let out = '"';
  for (const ch of s) {
    const code = ch.codePointAt(0) ?? 0;
    if (ch === '"' || ch === "\\") out += `\\${ch}`;
    else if (ch === "\n") out += "\\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\0") out += "\\000";
    else if (code < 32 || code === 127) out += `\\${code}`;
    else out += ch;
  }
  return `${out}"`;
}

/** penlight `stringx.quote_string`: long brackets for multi-line text, `%q` otherwise. */
export function quoteLuaString(s: string): string {
  const brackets = [...s.matchAll(/[[\]](=*)[[\]]/g)].map(m => (m[1] ?? "").length);
  if (!s.includes("\n") && brackets.length === 0) return percentQ(s);
  const equals = "=".repeat(brackets.length === 0 ? 0 : Math.max(...brackets) + 1);
  const body = s.startsWith("\n") ? `\n${s}` : s;
  return `[${equals}[${body}]${equals}]`;
}

function renderKey(key: string | number): string {
  if (typeof key === "number") return `[${key}]`;
  if (IDENTIFIER.test(key) && !LUA_KEYWORDS.has(key)) return key;
  return `[${quoteLuaString(key)}]`;
}

function renderArray(items: readonly unknown[]): string[] {
  const parts: string[] = [];
  let i = 0;
  while (i < items.length && items[i] !== undefined && items[i] !== null) {
    parts.push(renderLua(items[i]));
    i++;
  }
  for (let j = i; j < items.length; j++) {
    const item = items[j];
    if (item !== undefined && item !== null) parts.push(`${renderKey(j + 1)}=${renderLua(item)}`);
  }
  return parts;
}

function renderRecord(record: Readonly<Record<string, unknown>>): string[] {
  return Object.keys(record)
    .sort()
    .filter(key => record[key] !== undefined && record[key] !== null)
    .map(key => `${renderKey(key)}=${renderLua(record[key])}`);
}

/** Renders a decoded JSON value (holes and `null` as absent keys) as a compact Lua table literal. */
export function renderLua(value: unknown): string {
  if (typeof value === "string") return quoteLuaString(value);
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (value === null || value === undefined) return "nil";
  const parts = Array.isArray(value)
    ? renderArray(value as unknown[])
    : renderRecord(value as Record<string, unknown>);
  return `{${parts.join(",")}}`;
}
