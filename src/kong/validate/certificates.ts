/**
 * PEM checks for certificates and CA certificates, with node:crypto standing in for lua-resty-openssl:
 * parse errors keep Kong's `invalid certificate: …` / `invalid key: …` prefixes around Node's reason.
 */
import { X509Certificate, createPrivateKey, createPublicKey, type KeyObject } from "node:crypto";

const VAULT_REF = /^\{vault:\/\/.+\}$/;

/** Vault references (`{vault://…}`) are resolved at runtime; Kong skips PEM checks for them. */
export function isVaultReference(value: unknown): boolean {
  return typeof value === "string" && VAULT_REF.test(value.trim());
}

function reason(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export function parseCertificate(pem: string): X509Certificate | string {
  try {
    return new X509Certificate(pem);
  } catch (e) {
    return `invalid certificate: x509.new: ${reason(e)}`;
  }
}

export function parseKey(pem: string): KeyObject | string {
  try {
    return createPrivateKey(pem);
  } catch (e) {
    return `invalid key: pkey.new:load_key: ${reason(e)}`;
  }
}

/** `typedefs.certificate` custom validator. */
export function validateCertificatePem(value: unknown): string | undefined {
  if (typeof value !== "string" || isVaultReference(value)) return undefined;
  const parsed = parseCertificate(value);
  return typeof parsed === "string" ? parsed : undefined;
}

/** `typedefs.key` custom validator. */
export function validateKeyPem(value: unknown): string | undefined {
  if (typeof value !== "string" || isVaultReference(value)) return undefined;
  const parsed = parseKey(value);
  return typeof parsed === "string" ? parsed : undefined;
}

/** Whether the certificate's public key belongs to the private key; undefined if either is unusable. */
export function certificateMatchesKey(certPem: unknown, keyPem: unknown): boolean | undefined {
  if (typeof certPem !== "string" || typeof keyPem !== "string") return undefined;
  if (isVaultReference(certPem) || isVaultReference(keyPem)) return undefined;
  const cert = parseCertificate(certPem);
  const key = parseKey(keyPem);
  if (typeof cert === "string" || typeof key === "string") return undefined;
  return cert.checkPrivateKey(key);
}

/** The public-key algorithm (`rsa`, `ec`, `ed25519`, …) of a certificate, for the alt-type rule. */
export function certificateKeyType(certPem: unknown): string | undefined {
  if (typeof certPem !== "string" || isVaultReference(certPem)) return undefined;
  const cert = parseCertificate(certPem);
  if (typeof cert === "string") return undefined;
  return createPublicKey(cert.publicKey.export({ type: "spki", format: "pem" })).asymmetricKeyType;
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----/g;

/** ca_certificates entity check: one certificate, not expired, CA basic constraint (ca_certificates.lua). */
export function caCertificateProblem(pem: unknown, now: number): string | undefined {
  if (typeof pem !== "string" || isVaultReference(pem)) return undefined;
  if ((pem.match(PEM_CERT) ?? []).length > 1) return "please submit only one certificate at a time";
  const cert = parseCertificate(pem);
  if (typeof cert === "string") return undefined;
  if (cert.validToDate.getTime() < now) {
    return 'certificate expired, "Not After" time is in the past';
  }
  if (!cert.ca) {
    return 'certificate does not appear to be a CA because it is missing the "CA" basic constraint';
  }
  return undefined;
}

/** `cert_digest`: lowercase hex SHA-256 of the DER certificate. */
export function certificateDigest(pem: unknown): string | undefined {
  if (typeof pem !== "string") return undefined;
  const cert = parseCertificate(pem);
  return typeof cert === "string"
    ? undefined
    : cert.fingerprint256.replaceAll(":", "").toLowerCase();
}
