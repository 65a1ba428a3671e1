/**
 * Redaction of Kong configs for /debug/config dumps (KIC: redacted unless --dump-sensitive-config).
 * Kong keeps secrets under a few property names across entities: certificate `key`/`key_alt`,
 * credential `key`/`password`/`secret`/`client_secret`, and plugin configs that embed private keys.
 */

export const REDACTED_VALUE = "{vault://redacted-value}";

const SENSITIVE_PROPERTIES: ReadonlySet<string> = new Set([
  "key",
  "key_alt",
  "password",
  "secret",
  "client_secret",
  "private_key",
  "token",
]);

/** A PEM private-key block, wherever it sits (a key pasted into a certificate, a header, a message). */
const PEM_PRIVATE_KEY_BLOCK =
  /-----BEGIN ([A-Z0-9 ]*PRIVATE KEY)-----[\s\S]*?(?:-----END \1-----|$)/g;

/** `text` with every PEM private-key block replaced. */
export function redactPemKeys(text: string): string {
  return text.replace(PEM_PRIVATE_KEY_BLOCK, REDACTED_VALUE);
}

/**
 * Returns a copy of `value` with every sensitive property's value replaced, and PEM private-key
 * blocks cut out of every other string; the input is untouched.
 */
export function redactSecrets(value: unknown): unknown {
  if (typeof value === "string") return redactPemKeys(value);
  if (Array.isArray(value)) return value.map(redactSecrets);
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const [name, child] of Object.entries(value)) {
    out[name] =
      SENSITIVE_PROPERTIES.has(name) && typeof child === "string"
        ? REDACTED_VALUE
        : redactSecrets(child);
  }
  return out;
}
