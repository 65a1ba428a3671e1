/**
 * Kong's expressions-router language (ATC) as KIC prints it (kic-kong-resources.md §5.2): predicates,
 * AND/OR with KIC's parentheses, and the matchers every route kind shares. Same input, same text as
 * KIC's `atc` package, so a config moved from KIC routes alike.
 */

/** An expression; `""` is no condition (it vanishes from an AND or OR). */
export type Atc = string;

/** A string literal: double-quoted, with KIC's escapes. */
export function quote(value: string): string {
  const escaped = value
    .replace(/\\/g, "\\\\")
    .replace(/"/g, '\\"')
    .replace(/\n/g, "\\n")
    .replace(/\r/g, "\\r")
    .replace(/\t/g, "\\t");
  return `"${escaped}"`;
}

export type AtcOperator = "==" | "!=" | "^=" | "=^" | "~";

export function predicate(field: string, op: AtcOperator, value: string | number): Atc {
  return `${field} ${op} ${typeof value === "number" ? String(value) : quote(value)}`;
}

/** KIC's logical operators: empty operands dropped, one printed bare, several each in parentheses. */
function joined(operator: "&&" | "||", operands: readonly Atc[]): Atc {
  const present = operands.filter(o => o !== "");
  if (present.length <= 1) return present[0] ?? "";
  return present.map(o => `(${o})`).join(` ${operator} `);
}

export const and = (...operands: readonly Atc[]): Atc => joined("&&", operands);
export const or = (...operands: readonly Atc[]): Atc => joined("||", operands);

/** KIC's hostname pattern: labels of letters, digits and inner hyphens, optionally `*.` first. */
const HOSTNAME = /^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/i;
const PLAIN_HOSTNAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/i;
const METHOD = /^[A-Z]+$/;

/** Whether a host can be written as an `http.host` predicate (KIC's pattern; `*.` first only). */
export const expressibleHost = (host: string): boolean => HOSTNAME.test(host);

/** Whether an SNI can be written as a `tls.sni` predicate (a plain hostname, as KIC's). */
export const expressibleSni = (sni: string): boolean => PLAIN_HOSTNAME.test(sni);

/** Whether a method can be written as an `http.method` predicate. */
export const expressibleMethod = (method: string): boolean => METHOD.test(method);

/** Hosts KIC's pattern refuses are left out, as KIC does (the translator reports them). */
export function hostMatcher(hosts: readonly string[]): Atc {
  return or(
    ...hosts
      .filter(expressibleHost)
      .map(h =>
        h.startsWith("*.")
          ? predicate("http.host", "=^", h.slice(1))
          : predicate("http.host", "==", h),
      ),
  );
}

/** Plain hostnames only: a wildcard or invalid SNI is left out, as KIC does (the translator reports it). */
export function sniMatcher(snis: readonly string[]): Atc {
  return or(...snis.filter(expressibleSni).map(s => predicate("tls.sni", "==", s)));
}

export function methodMatcher(methods: readonly string[]): Atc {
  return or(...methods.filter(expressibleMethod).map(m => predicate("http.method", "==", m)));
}

/** `http.headers.<name>`: lower case, `-` spelled `_`. */
export function headerField(name: string): string {
  return `http.headers.${name.toLowerCase().replace(/-/g, "_")}`;
}

/** The catch-all KIC writes for a Gateway API match that matches on nothing. */
export const CATCH_ALL: Atc = or(
  predicate("net.protocol", "==", "http"),
  predicate("net.protocol", "==", "https"),
);

/** A regex anchored at the start, as KIC anchors path regexes (`^` not doubled). */
export function anchored(regex: string): string {
  return regex.startsWith("^") ? regex : `^${regex}`;
}
