/**
 * A guard in front of the YAML parser, whose memory grows by several hundred bytes per value and per
 * nesting level: a few megabytes of `[[[[`, `- - - -` or `[a, a, a, ...` would take gigabytes before
 * it failed. Real manifests nest a dozen levels deep; this scan, over the same tokens the parser reads,
 * stops at the first excess.
 */
import { Lexer } from "yaml";

export interface YamlLimits {
  /** Flow collections (`[`, `{`) open at once, or compact block collections on one line (`- - x`). */
  readonly maxNesting: number;
  /** Scalars in one file. A 5 MB manifest of typical objects holds about 400 000. */
  readonly maxValues: number;
}

/** More than any Kubernetes manifest needs, far less than would exhaust memory. */
export const DEFAULT_YAML_LIMITS: YamlLimits = Object.freeze({
  maxNesting: 100,
  maxValues: 1_000_000,
});

export interface YamlLimitExceeded {
  /** 1-based. */
  readonly line: number;
  readonly message: string;
}

// Lexer control tokens that stand for no source text; the scalar marker precedes plain and block scalars.
const SCALAR = "\u001f";
const CONTROL_TOKENS: ReadonlySet<string> = new Set(["\u0002", "\u0018", SCALAR]);
const FLOW_OPEN: ReadonlySet<string> = new Set(["[", "{"]);
const FLOW_CLOSE: ReadonlySet<string> = new Set(["]", "}"]);
const BLOCK_INDICATORS: ReadonlySet<string> = new Set(["-", "?", ":"]);

function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = text.indexOf("\n"); i >= 0 && i < offset; i = text.indexOf("\n", i + 1)) line++;
  return line;
}

function isValue(token: string): boolean {
  return token === SCALAR || token.startsWith('"') || token.startsWith("'");
}

interface ScanState {
  flow: number;
  blockOnLine: number;
  values: number;
}

function step(state: ScanState, token: string): void {
  if (FLOW_OPEN.has(token)) state.flow++;
  else if (FLOW_CLOSE.has(token)) state.flow = Math.max(0, state.flow - 1);
  else if (token === "\n" || token === "\r\n") state.blockOnLine = 0;
  else if (state.flow === 0 && BLOCK_INDICATORS.has(token)) state.blockOnLine++;
  else if (isValue(token)) state.values++;
}

function exceeded(state: ScanState, limits: YamlLimits): string | undefined {
  if (state.flow > limits.maxNesting || state.blockOnLine > limits.maxNesting)
    return `nested more than ${limits.maxNesting} levels deep`;
  if (state.values > limits.maxValues)
    return `more than ${limits.maxValues} values; split it into smaller files`;
  return undefined;
}

/**
 * The first place where `text` exceeds `limits`, or undefined. Linear in the input; stops early.
 * `used` receives the number of values scanned (for a budget over several files).
 */
export function checkYamlLimits(
  text: string,
  limits: YamlLimits = DEFAULT_YAML_LIMITS,
  used?: { values: number },
): YamlLimitExceeded | undefined {
  const state: ScanState = { flow: 0, blockOnLine: 0, values: 0 };
  let offset = 0;
  for (const token of new Lexer().lex(text)) {
    step(state, token);
    const message = exceeded(state, limits);
    if (message !== undefined) return { line: lineOf(text, offset), message };
    if (!CONTROL_TOKENS.has(token)) offset += token.length;
  }
  if (used !== undefined) used.values = state.values;
  return undefined;
}
