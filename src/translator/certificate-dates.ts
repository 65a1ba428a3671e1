/**
 * A served or client certificate's dates against the translation's `now` (TranslateOptions.now). Kong
 * serves or presents a certificate whatever its dates (only CA certificates are refused when expired),
 * so an expired or not-yet-valid one stays in the config; its users are warned, as they are when it
 * comes close to its end. The translator never reads a clock: the answer is a function of the
 * certificate and `now`, and `nextDateChange` says when it would change, so the controller can
 * translate again then.
 */
import type { Problem } from "./types.ts";

/** A certificate's validity period, in milliseconds since the epoch, and its end as text. */
export interface CertificateDates {
  readonly notBefore: number;
  readonly notAfter: number;
  /** ISO 8601 (UTC), for messages: the translator has no `Date` of its own. */
  readonly notBeforeText: string;
  readonly notAfterText: string;
}

const DAY_MS = 86_400_000;

/**
 * How long before its end a served certificate is warned about: 14 days. cert-manager renews at a third
 * of the lifetime before the end (30 days for Let's Encrypt's 90), so a renewal that works is never
 * warned about, and two weeks leave time to renew by hand one that does not.
 */
export const CERTIFICATE_EXPIRY_WARNING_DAYS = 14;

const WARNING_MS = CERTIFICATE_EXPIRY_WARNING_DAYS * DAY_MS;

/**
 * How Kong uses a certificate: it serves one to clients (an Ingress's or listener's), and presents a
 * Service's client certificate (`konghq.com/client-cert`) to the upstream; the messages say which.
 */
export type CertificateUse = "served" | "client";

const USES: Readonly<Record<CertificateUse, { readonly verb: string; readonly peers: string }>> = {
  served: { verb: "serves", peers: "clients" },
  client: { verb: "presents", peers: "upstreams that check it" },
};

/** What is wrong with a certificate's dates at `now`, if anything. */
export function certificateDateProblem(
  dates: CertificateDates,
  now: number,
  use: CertificateUse = "served",
): Problem | undefined {
  const { verb, peers } = USES[use];
  if (now < dates.notBefore)
    return {
      reason: "CertificateNotYetValid",
      message: `its certificate is valid only from ${dates.notBeforeText}; Kong ${verb} it already, and ${peers} refuse it until then`,
    };
  // X.509's notAfter is the last valid instant.
  if (now > dates.notAfter)
    return {
      reason: "CertificateExpired",
      message: `its certificate expired at ${dates.notAfterText}; Kong still ${verb} it, and ${peers} refuse it`,
    };
  if (now >= dates.notAfter - WARNING_MS)
    return {
      reason: "CertificateExpiresSoon",
      message: `its certificate expires at ${dates.notAfterText}, in less than ${CERTIFICATE_EXPIRY_WARNING_DAYS} days; renew it`,
    };
  return undefined;
}

/** The first instant after `now` at which {@link certificateDateProblem}'s answer changes, if any. */
export function nextDateChange(dates: CertificateDates, now: number): number | undefined {
  const edges = [dates.notBefore, dates.notAfter - WARNING_MS, dates.notAfter + 1];
  let next: number | undefined;
  for (const edge of edges) if (edge > now && (next === undefined || edge < next)) next = edge;
  return next;
}
