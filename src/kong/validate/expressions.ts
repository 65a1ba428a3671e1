/**
 * Kong's check of a route `expression` (`router_flavor = expressions`): the ATC router parses it
 * (atc-router's pest grammar), compiles its regex literals with Rust's `regex` crate, and checks each
 * predicate against the router schema of the route's protocols (kong/router/fields.lua): field names,
 * operators and literal types. Errors are the router's words; Kong prefixes them with
 * `Router Expression failed validation: ` on the route (entity level).
 */
import { rustRegexError } from "./regex.ts";

type AtcType = "String" | "Int" | "IpAddr";

type Literal =
  | { readonly type: "String"; readonly value: string }
  | { readonly type: "Regex"; readonly value: string }
  | { readonly type: "Int"; readonly value: number }
  | { readonly type: "IpAddr" | "IpCidr"; readonly value: string };

interface Predicate {
  readonly field: string;
  readonly lower: boolean;
  readonly op: string;
  readonly rhs: Literal;
}

/** The router schema Kong builds for HTTP routes; stream routes know only the `net.`/`tls.` fields. */
const STREAM_FIELDS: Readonly<Record<string, AtcType>> = {
  "net.protocol": "String",
  "tls.sni": "String",
  "net.src.ip": "IpAddr",
  "net.dst.ip": "IpAddr",
  "net.src.port": "Int",
  "net.dst.port": "Int",
};

const HTTP_FIELDS: Readonly<Record<string, AtcType>> = {
  ...STREAM_FIELDS,
  "http.method": "String",
  "http.host": "String",
  "http.path": "String",
  "http.path.segments.len": "Int",
};

/** Fields with a name part: `http.headers.x_foo`, `http.queries.q`, `http.path.segments.0`. */
const HTTP_FIELD_FAMILIES: readonly RegExp[] = [
  /^http\.headers\.[^.\s]+$/,
  /^http\.queries\.[^.\s]+$/,
  /^http\.path\.segments\.\d+(_\d+)?$/,
];

const STREAM_PROTOCOLS = new Set(["tcp", "tls", "udp", "tls_passthrough"]);

export function fieldType(field: string, protocols: readonly string[]): AtcType | undefined {
  const stream = protocols.some(p => STREAM_PROTOCOLS.has(p));
  if (stream) return STREAM_FIELDS[field];
  if (HTTP_FIELDS[field] !== undefined) return HTTP_FIELDS[field];
  return HTTP_FIELD_FAMILIES.some(f => f.test(field)) ? "String" : undefined;
}

/**
 * The router's message for `expression` on a route with `protocols`, or undefined when Kong takes it.
 * Without the `Router Expression failed validation: ` prefix, which the route schema adds.
 */
export function expressionError(
  expression: string,
  protocols: readonly string[] = ["http", "https"],
): string | undefined {
  const parsed = parseExpression(expression);
  if ("error" in parsed) return parsed.error;
  for (const p of parsed.predicates) {
    const problem = predicateProblem(p, protocols);
    if (problem !== undefined) return problem;
  }
  return undefined;
}

type LiteralType = Literal["type"];
type OperandRule = (lhs: AtcType, rhs: LiteralType) => string | undefined;

const STRING_ONLY = "Regex operators only supports string operands";
const INT_ONLY =
  "Greater/GreaterOrEqual/Lesser/LesserOrEqual operators only supports integer operands";
const onlyRhs =
  (wanted: LiteralType, message: string): OperandRule =>
  (_lhs, rhs) =>
    rhs === wanted ? undefined : message;
const cidr: OperandRule = (lhs, rhs) =>
  lhs === "IpAddr" && rhs === "IpCidr" ? undefined : "In/NotIn operators only supports IP in CIDR";

/** What each operator takes, after the type check (atc-router's `semantics.rs`, in its words). */
const OPERAND_RULES: Readonly<Record<string, OperandRule>> = {
  "~": (lhs, rhs) => (lhs === "String" && rhs === "Regex" ? undefined : STRING_ONLY),
  "^=": onlyRhs("String", STRING_ONLY),
  "=^": onlyRhs("String", STRING_ONLY),
  ">": onlyRhs("Int", INT_ONLY),
  ">=": onlyRhs("Int", INT_ONLY),
  "<": onlyRhs("Int", INT_ONLY),
  "<=": onlyRhs("Int", INT_ONLY),
  in: cidr,
  "not in": cidr,
  contains: onlyRhs("String", "Contains operator only supports string operands"),
};

/** Operators whose right side need not have the field's type (regex, CIDR). */
const UNTYPED = new Set(["~", "in", "not in"]);

/** atc-router's `semantics.rs`, in its order and words. */
function predicateProblem(p: Predicate, protocols: readonly string[]): string | undefined {
  const lhs = fieldType(p.field, protocols);
  if (lhs === undefined) return "Unknown LHS field";
  if (!UNTYPED.has(p.op) && lhs !== p.rhs.type)
    return "Type mismatch between the LHS and RHS values of predicate";
  if (p.lower && lhs !== "String")
    return "lower-case transformation function only supported with String type fields";
  return OPERAND_RULES[p.op]?.(lhs, p.rhs.type);
}

/**
 * A regex literal as Rust's `regex` crate takes it, judged by the rules every route regex shares
 * (regex.ts: RE2's syntax, which the crate follows closely, with the crate's own messages). The router
 * anchors the literal itself, so a leading `^` is the literal's own.
 */
export function regexLiteralError(regex: string): string | undefined {
  return rustRegexError(regex.startsWith("^") ? regex.slice(1) : regex);
}

// ----- Parser (atc-router's atc_grammar.pest) -----

const OPERATORS = ["==", "!=", "^=", "=^", ">=", "<=", ">", "<", "~", "not in", "in", "contains"];

class ParseFailure extends Error {}

class Parser {
  readonly predicates: Predicate[] = [];
  #pos = 0;
  readonly #text: string;

  constructor(text: string) {
    this.#text = text;
  }

  parse(): void {
    this.#expression();
    this.#space();
    if (this.#pos < this.#text.length) this.#fail("expected logical_operator");
  }

  #expression(): void {
    this.#term();
    for (;;) {
      this.#space();
      if (!this.#eat("&&") && !this.#eat("||")) return;
      this.#term();
    }
  }

  #term(): void {
    this.#space();
    if (this.#eat("!")) {
      this.#space();
      if (!this.#eat("(")) this.#fail("expected parenthesised_expression");
      this.#group();
    } else if (this.#eat("(")) this.#group();
    else this.#predicate();
  }

  #group(): void {
    this.#expression();
    this.#space();
    if (!this.#eat(")")) this.#fail("expected logical_operator");
  }

  #predicate(): void {
    const { field, lower } = this.#lhs();
    this.#space();
    const op = OPERATORS.find(o => this.#text.startsWith(o, this.#pos));
    if (op === undefined) this.#fail("expected binary_operator");
    this.#pos += op.length;
    this.#space();
    this.predicates.push({ field, lower, op, rhs: this.#rhs(op) });
  }

  #lhs(): { field: string; lower: boolean } {
    const ident = this.#ident();
    if (ident !== "lower" && ident !== "any") return { field: ident, lower: false };
    this.#space();
    if (!this.#eat("(")) return { field: ident, lower: false };
    const inner = this.#lhs();
    this.#space();
    if (!this.#eat(")")) this.#fail("expected binary_operator");
    return { field: inner.field, lower: inner.lower || ident === "lower" };
  }

  #ident(): string {
    const m = /^[A-Za-z_][A-Za-z0-9_]*(\.([A-Za-z0-9_]+|\*))*/.exec(this.#text.slice(this.#pos));
    if (m === null) this.#fail("expected term");
    this.#pos += m[0].length;
    return m[0];
  }

  #rhs(op: string): Literal {
    const rest = this.#text.slice(this.#pos);
    if (rest.startsWith('"') || rest.startsWith('r#"')) {
      const start = this.#pos;
      const value = rest.startsWith('"') ? this.#string() : this.#rawString();
      if (op !== "~") return { type: "String", value };
      const problem = regexLiteralError(value);
      if (problem !== undefined) this.#fail(problem, start);
      return { type: "Regex", value };
    }
    const cidr = /^[0-9A-Fa-f:.]+\/\d+/.exec(rest);
    if (cidr !== null && /[.:]/.test(cidr[0])) {
      this.#pos += cidr[0].length;
      return { type: "IpCidr", value: cidr[0] };
    }
    const ip = /^(\d+\.\d+\.\d+\.\d+|[0-9A-Fa-f]*:[0-9A-Fa-f:.]+)/.exec(rest);
    if (ip !== null) {
      this.#pos += ip[0].length;
      return { type: "IpAddr", value: ip[0] };
    }
    const int = /^-?(0x[0-9A-Fa-f]+|0[0-7]*|[1-9][0-9]*)/.exec(rest);
    if (int !== null) {
      this.#pos += int[0].length;
      return { type: "Int", value: Number(int[0]) };
    }
    return this.#fail("expected rhs");
  }

  #string(): string {
    let value = "";
    for (let i = this.#pos + 1; i < this.#text.length; i++) {
      const c = this.#text[i] as string;
      if (c === '"') {
        this.#pos = i + 1;
        return value;
      }
      if (c !== "\\") {
        value += c;
        continue;
      }
      const escaped = ESCAPES[this.#text[i + 1] ?? ""];
      if (escaped === undefined) this.#fail("expected str_esc", i);
      value += escaped;
      i++;
    }
    return this.#fail("expected str_char", this.#text.length);
  }

  #rawString(): string {
    const end = this.#text.indexOf('"#', this.#pos + 3);
    if (end < 0) this.#fail("expected rawstr_char", this.#text.length);
    const value = this.#text.slice(this.#pos + 3, end);
    this.#pos = end + 2;
    return value;
  }

  #space(): void {
    while (/\s/.test(this.#text[this.#pos] ?? "")) this.#pos++;
  }

  #eat(token: string): boolean {
    if (!this.#text.startsWith(token, this.#pos)) return false;
    this.#pos += token.length;
    return true;
  }

  /** pest's error rendering: position, the line with a caret, then the message. */
  #fail(message: string, at = this.#pos): never {
    const line = this.#text.split("\n").length === 1 ? this.#text : this.#text.split("\n")[0];
    const col = at + 1;
    throw new ParseFailure(
      ` --> 1:${col}\n  |\n1 | ${line ?? ""}\n  | ${" ".repeat(at)}^---\n  |\n  = ${message}`,
    );
  }
}

const ESCAPES: Readonly<Record<string, string>> = {
  '"': '"',
  "\\": "\\",
  n: "\n",
  r: "\r",
  t: "\t",
};

export function parseExpression(
  expression: string,
): { readonly predicates: readonly Predicate[] } | { readonly error: string } {
  const parser = new Parser(expression);
  try {
    parser.parse();
  } catch (err) {
    if (err instanceof ParseFailure) return { error: err.message };
    throw err;
  }
  return { predicates: parser.predicates };
}
