/**
 * The text-level half of secret redaction, usable from every layer (the logger included): PEM private
 * keys are recognisable by their armour alone. Structure-aware redaction lives in src/kong/redact.ts.
 */

/**
 * What every hidden value becomes, in configs, logs, Events and CLI output alike: one marker to search
 * for. It is KIC's, and Kong reads it as a vault reference, so a redacted config (`/debug/config/*`,
 * `translate --redact`) still passes Kong's schema; a second marker for logs would buy nothing.
 */
export const REDACTED = "{vault://redacted-value}";

const PEM_PRIVATE_KEY =
  /-----BEGIN ([A-Z0-9 ]*)PRIVATE KEY-----[\s\S]*?(?:-----END \1PRIVATE KEY-----|$)/g;

/** Replaces every PEM private-key block (also an unterminated one) in `text`. */
export function stripPrivateKeys(text: string): string {
  return text.includes("PRIVATE KEY-----") ? text.replace(PEM_PRIVATE_KEY, REDACTED) : text;
}
