/** A JSON object: not null, not an array. What every reader of untyped JSON checks before indexing. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}
