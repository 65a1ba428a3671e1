/**
 * A served certificate's dates against the translation's `now` (certificate-dates.ts): the answer at
 * each edge of the validity period, when it next changes, and that a memoising translator fed the same
 * snapshot at a later `now` says what a cold translation says then (nothing about dates is memoised).
 */
import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import {
  certificateDateProblem,
  CERTIFICATE_EXPIRY_WARNING_DAYS,
  nextDateChange,
} from "../../../src/translator/certificate-dates.ts";
import {
  createTranslator,
  DEFAULT_TRANSLATE_OPTIONS,
  translate,
} from "../../../src/translator/index.ts";
import { readKeyPair } from "../../../src/translator/tls.ts";
import { goldenView } from "../../support/golden.ts";
import {
  goldenSecret,
  ingress,
  ingressClass,
  rule,
  service,
  storeSnapshot,
} from "./store-snapshot.ts";

const DAY = 86_400_000;
// The golden test certificate: valid from 2026-11-22T09:15:40Z to 2126-10-29T09:15:40Z.
const NOT_BEFORE = Date.parse("2026-11-22T09:15:40Z");
const NOT_AFTER = Date.parse("2126-10-29T09:15:40Z");
const WARNING_FROM = NOT_AFTER - CERTIFICATE_EXPIRY_WARNING_DAYS * DAY;

const snapshot = storeSnapshot([
  ingressClass(),
  service("web"),
  goldenSecret("tls-basic", "shop-tls", "shop-tls"),
  ingress("shop", {
    tls: [{ hosts: ["shop.example.com"], secretName: "shop-tls" }],
    rules: [rule("shop.example.com", [{ path: "/" }])],
  }),
]);

function datesOfSnapshotSecret() {
  const secret = snapshot.secrets[0];
  if (secret === undefined) throw new Error("no Secret in the snapshot");
  const pair = readKeyPair(secret);
  if (!pair.ok) throw new Error(pair.message);
  return pair.dates;
}

describe("a certificate's dates", () => {
  const dates = datesOfSnapshotSecret();

  it("are read from the certificate", () => {
    expect(dates).toEqual({
      notBefore: NOT_BEFORE,
      notAfter: NOT_AFTER,
      notBeforeText: "2026-11-22T09:15:40Z",
      notAfterText: "2126-10-29T09:15:40Z",
    });
  });

  it.each([
    {
      at: "before its start",
      now: NOT_BEFORE - 1,
      reason: "CertificateNotYetValid",
      next: NOT_BEFORE,
    },
    { at: "its start", now: NOT_BEFORE, reason: undefined, next: WARNING_FROM },
    {
      at: "the day before the warning",
      now: WARNING_FROM - DAY,
      reason: undefined,
      next: WARNING_FROM,
    },
    {
      at: "the warning's start",
      now: WARNING_FROM,
      reason: "CertificateExpiresSoon",
      next: NOT_AFTER + 1,
    },
    {
      at: "its last instant",
      now: NOT_AFTER,
      reason: "CertificateExpiresSoon",
      next: NOT_AFTER + 1,
    },
    { at: "just after its end", now: NOT_AFTER + 1, reason: "CertificateExpired", next: undefined },
    {
      at: "a year after its end",
      now: NOT_AFTER + 365 * DAY,
      reason: "CertificateExpired",
      next: undefined,
    },
  ])("at $at: $reason, next change at $next", ({ now, reason, next }) => {
    expect(certificateDateProblem(dates, now)?.reason).toBe(reason);
    expect(nextDateChange(dates, now)).toBe(next);
  });

  it("that leave less than the warning from start to end warn from the start", () => {
    const short = { ...dates, notAfter: NOT_BEFORE + 3 * DAY };
    expect(certificateDateProblem(short, NOT_BEFORE)?.reason).toBe("CertificateExpiresSoon");
    expect(nextDateChange(short, NOT_BEFORE - 1)).toBe(NOT_BEFORE);
    expect(nextDateChange(short, NOT_BEFORE)).toBe(short.notAfter + 1);
  });
});

describe("translation at a time", () => {
  const problemsAt = (now: number | undefined) =>
    translate(snapshot, { ...DEFAULT_TRANSLATE_OPTIONS, ...(now === undefined ? {} : { now }) })
      .results.filter(r => r.problems.length > 0)
      .map(r => `${r.ref.kind} ${r.ref.name}: ${r.problems.map(p => p.reason).join(", ")}`);

  it("checks no dates without a time, and says when to look again with one", () => {
    expect(problemsAt(undefined)).toEqual([]);
    expect(translate(snapshot, DEFAULT_TRANSLATE_OPTIONS).revisitAt).toBeUndefined();
    const valid = translate(snapshot, { ...DEFAULT_TRANSLATE_OPTIONS, now: NOT_BEFORE + DAY });
    expect(valid.revisitAt).toBe(WARNING_FROM);
    expect(problemsAt(NOT_AFTER + 1)).toEqual(["Ingress shop: CertificateExpired"]);
  });

  it("memoised, the same snapshot at each edge gives what a cold translation gives", () => {
    let now = NOT_BEFORE - DAY;
    const memoised = createTranslator({ ...DEFAULT_TRANSLATE_OPTIONS, now: () => now });
    const seen: (string | undefined)[] = [];
    for (const at of [NOT_BEFORE - DAY, NOT_BEFORE, WARNING_FROM, NOT_AFTER + 1, NOT_BEFORE]) {
      now = at;
      const incremental = memoised(snapshot);
      const cold = translate(snapshot, { ...DEFAULT_TRANSLATE_OPTIONS, now: at });
      expect(stringify(goldenView(incremental))).toBe(stringify(goldenView(cold)));
      seen.push(incremental.results.find(r => r.ref.kind === "Ingress")?.problems[0]?.reason);
    }
    expect(seen).toEqual([
      "CertificateNotYetValid",
      undefined,
      "CertificateExpiresSoon",
      "CertificateExpired",
      undefined,
    ]);
  });
});
