/** Small numeric helpers for the live benchmark: percentiles, a seeded random source, formatting. */

/** The nearest-rank percentile (`p` in 0..100) of `values`; undefined for no values. */
export function percentile(values: readonly number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1];
}

export interface Spread {
  readonly min: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  readonly n: number;
}

export function spread(values: readonly number[]): Spread | undefined {
  if (values.length === 0) return undefined;
  return {
    min: Math.min(...values),
    p50: percentile(values, 50)!,
    p99: percentile(values, 99)!,
    max: Math.max(...values),
    n: values.length,
  };
}

const DASH = "—";

export function fmtMs(ms: number | undefined): string {
  if (ms === undefined) return DASH;
  return ms >= 100 ? ms.toFixed(0) : ms.toFixed(1);
}

export function fmtS(seconds: number | undefined, digits = 2): string {
  return seconds === undefined ? DASH : seconds.toFixed(digits);
}

export function fmtMiB(kib: number | undefined): string {
  return kib === undefined ? DASH : (kib / 1024).toFixed(0);
}

export function fmtBytesMiB(bytes: number | undefined): string {
  return bytes === undefined ? DASH : (bytes / 1024 / 1024).toFixed(0);
}

/** `p50 / p99 / max` in ms. */
export function fmtSpreadMs(s: Spread | undefined): string {
  return s === undefined ? DASH : `${fmtMs(s.p50)} / ${fmtMs(s.p99)} / ${fmtMs(s.max)}`;
}

/** `min / median / max` in seconds. */
export function fmtSpreadS(s: Spread | undefined, digits = 2): string {
  return s === undefined
    ? DASH
    : `${s.min.toFixed(digits)} / ${s.p50.toFixed(digits)} / ${s.max.toFixed(digits)}`;
}
