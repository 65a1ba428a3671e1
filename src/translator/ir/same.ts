/** Cheap equality of IR parts, for reusing what was built from the same inputs. */
import type { Origin, ServiceSettings } from "./types.ts";

/** Same length and the same items (by identity). */
export function sameItems<T>(a: readonly T[], b: readonly T[]): boolean {
  return a === b || (a.length === b.length && a.every((item, i) => item === b[i]));
}

export function sameOrigin(a: Origin, b: Origin): boolean {
  return a === b || (a.object === b.object && sameItems(a.tags ?? [], b.tags ?? []));
}

export function sameSettings(a: ServiceSettings, b: ServiceSettings): boolean {
  return (
    a === b ||
    (a.protocol === b.protocol &&
      a.path === b.path &&
      a.connectTimeout === b.connectTimeout &&
      a.readTimeout === b.readTimeout &&
      a.writeTimeout === b.writeTimeout &&
      a.retries === b.retries &&
      a.hostHeader === b.hostHeader &&
      a.tlsVerify === b.tlsVerify &&
      a.tlsVerifyDepth === b.tlsVerifyDepth &&
      a.clientCertificate === b.clientCertificate &&
      sameItems(a.caCertificates ?? [], b.caCertificates ?? []))
  );
}
