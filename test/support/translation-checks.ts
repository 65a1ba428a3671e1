/**
 * The memoising translator's contract, checked the same way by every test that drives it: its
 * translation of a snapshot equals a cold one (results, config bytes, tenancy, Gateway API statuses and
 * the revisit instant), and whether it patched the last translation (translator/patch.ts) is reported.
 */
import { expect } from "vitest";
import { type ConfigEncoder, encodeConfig } from "../../src/kong/admin-client.ts";
import {
  translate,
  type Snapshot,
  type TranslateOptions,
  type TranslationMemo,
  type TranslationResult,
  type Translator,
} from "../../src/translator/index.ts";

export interface ComparedTranslation {
  readonly incremental: TranslationResult;
  readonly cold: TranslationResult;
  /** The translation was patched from the last one rather than made by every stage. */
  readonly patched: boolean;
}

/**
 * Translates `snapshot` with `memoised` (built over `memo`) and asserts it equals a cold translation.
 * `encoder`, when given, is the long-lived one whose reused blocks must give the same bytes too.
 */
export function translateLikeCold(
  translator: { readonly memoised: Translator; readonly memo: TranslationMemo },
  snapshot: Snapshot,
  options: TranslateOptions,
  opts: { readonly encoder?: ConfigEncoder; readonly label?: string } = {},
): ComparedTranslation {
  const { memoised, memo } = translator;
  const before = memo.patched;
  const incremental = memoised(snapshot);
  const cold = translate(snapshot, options);
  const label = opts.label;
  expect(incremental.results, label).toEqual(cold.results);
  const bytes = opts.encoder?.encode(incremental.config) ?? encodeConfig(incremental.config);
  expect(bytes, label).toEqual(encodeConfig(cold.config));
  expect(incremental.tenancy, label).toEqual(cold.tenancy);
  expect(incremental.gatewayApi, label).toEqual(cold.gatewayApi);
  expect(incremental.revisitAt, label).toEqual(cold.revisitAt);
  return { incremental, cold, patched: memo.patched > before };
}
