/**
 * Ingress TLS sections and Gateway listener certificates to IR certificates with SNIs
 * (kic-conventions.md §2.7): a host belongs to one Secret cluster-wide (Ingresses first, the oldest
 * winning, then Gateway listeners), identical cert/key pairs merge into one certificate (the oldest
 * Secret's id, whoever uses it), and a broken Secret costs only its own hosts.
 */
import { createHash, createPrivateKey, X509Certificate } from "node:crypto";
import type { ConfigMap, Ingress, KubeObject, Secret } from "../model/k8s.ts";
import { BoundedMap } from "../util/bounded-map.ts";
import { compareStrings } from "../util/compare.ts";
import { sniNameProblem } from "../kong/validate/fields.ts";
import { entityId } from "./ids.ts";
import type { IrCaCertificate, IrCertificate, Origin } from "./ir/types.ts";
import type { ResultSink } from "./results.ts";
import {
  certificateDateProblem,
  nextDateChange,
  type CertificateDates,
  type CertificateUse,
} from "./certificate-dates.ts";

export type KeyPair =
  | {
      readonly ok: true;
      readonly cert: string;
      readonly key: string;
      /** Equal for equal cert and key: identical pairs of different Secrets merge on it. */
      readonly identity: string;
      /** The (first) certificate's validity period. */
      readonly dates: CertificateDates;
    }
  | { readonly ok: false; readonly message: string };

/** What checking a cert and key found, without them: kept by content (`KeyPairVerdicts`). */
type PairVerdict =
  | { readonly ok: true; readonly dates: CertificateDates }
  | { readonly ok: false; readonly message: string };

/**
 * Verdicts on cert/key pairs by content, so identical Secrets (a wildcard certificate copied into
 * many namespaces) are parsed and checked once. Keyed by a digest, holding no key material;
 * bounded, as Secrets come and go.
 */
export class KeyPairVerdicts extends BoundedMap<string, PairVerdict> {
  static readonly LIMIT = 4096;

  constructor() {
    super(KeyPairVerdicts.LIMIT);
  }
}

/**
 * Decodes and checks a TLS Secret the way Kong will (PEM parses, key matches certificate); with
 * `verdicts`, a pair already checked there is not parsed again.
 */
export function readKeyPair(secret: Secret, verdicts?: KeyPairVerdicts): KeyPair {
  const cert = decode(secret.data?.["tls.crt"]);
  const key = decode(secret.data?.["tls.key"]);
  if (cert === undefined || key === undefined) {
    return { ok: false, message: "it must hold PEM data under both tls.crt and tls.key" };
  }
  // Kong would serve whatever tls.crt holds as the certificate chain, and dumps show it unredacted.
  if (PEM_PRIVATE_KEY.test(cert)) {
    return { ok: false, message: "tls.crt holds a private key; it must hold certificates only" };
  }
  const identity = createHash("sha256").update(cert).update("\n").update(key).digest("hex");
  // The lengths make the digest's input unambiguous.
  const content = `${cert.length}/${key.length}/${identity}`;
  let verdict = verdicts?.get(content);
  if (verdict === undefined) {
    verdict = checkPair(cert, key);
    verdicts?.set(content, verdict);
  }
  return verdict.ok ? { ok: true, cert, key, identity, dates: verdict.dates } : verdict;
}

function checkPair(cert: string, key: string): PairVerdict {
  try {
    const x509 = new X509Certificate(cert);
    const privateKey = createPrivateKey(key);
    if (!x509.checkPrivateKey(privateKey))
      return { ok: false, message: "tls.key does not match the certificate in tls.crt" };
    return { ok: true, dates: datesOf(x509) };
  } catch (err) {
    return { ok: false, message: `tls.crt/tls.key is not valid PEM (${(err as Error).message})` };
  }
}

function datesOf(x509: X509Certificate): CertificateDates {
  const from = x509.validFromDate;
  const to = x509.validToDate;
  return {
    notBefore: from.getTime(),
    notAfter: to.getTime(),
    notBeforeText: from.toISOString().replace(".000Z", "Z"),
    notAfterText: to.toISOString().replace(".000Z", "Z"),
  };
}

const PEM_PRIVATE_KEY = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/;

function decode(base64: string | undefined): string | undefined {
  if (base64 === undefined) return undefined;
  const text = Buffer.from(base64, "base64").toString("utf8").trim();
  return text === "" ? undefined : text;
}

function plain(text: string | undefined): string | undefined {
  const trimmed = text?.trim();
  return trimmed === "" ? undefined : trimmed;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export type CaCertificate =
  | { readonly ok: true; readonly id: string; readonly cert: string }
  | { readonly ok: false; readonly message: string };

/**
 * A CA certificate Secret or ConfigMap as KIC reads one: the Kong id under `id`, the PEM certificate
 * under `cert` (base64 in a Secret, plain text in a ConfigMap). Kong checks the rest (one certificate,
 * not expired) and names the object if it refuses it.
 */
export function readCaCertificate(source: Secret | ConfigMap): CaCertificate {
  const read = (key: string): string | undefined =>
    source.kind === "Secret" ? decode(source.data?.[key]) : plain(source.data?.[key]);
  const id = read("id");
  const cert = read("cert");
  if (id === undefined || cert === undefined) {
    return {
      ok: false,
      message: "it must hold the certificate's id under id and its PEM under cert",
    };
  }
  if (!UUID.test(id)) return { ok: false, message: `its id "${id}" is not a UUID` };
  try {
    if (!new X509Certificate(cert).ca) {
      return { ok: false, message: "cert is not a CA certificate (basic constraint CA:TRUE)" };
    }
  } catch (err) {
    return {
      ok: false,
      message: `cert is not a valid PEM certificate (${(err as Error).message})`,
    };
  }
  return { ok: true, id: id.toLowerCase(), cert };
}

interface CertificateGroup {
  readonly id: string;
  readonly cert: string;
  readonly key: string;
  readonly secret: Secret;
  /** Host → the Secret that claimed it. */
  readonly snis: Map<string, Origin>;
}

export class CertificateCollector {
  /** Host → the Secret serving it and the object (Ingress, Gateway) that claimed it first. */
  readonly #hostOwner = new Map<string, { secretKey: string; owner: KubeObject }>();
  readonly #groups = new Map<string, CertificateGroup>();
  readonly #caCertificates = new Map<string, IrCaCertificate>();
  readonly #secrets: ReadonlyMap<string, Secret>;
  readonly #results: ResultSink;
  readonly #keyPair: (secret: Secret) => KeyPair;
  readonly #now: number | undefined;
  #revisitAt: number | undefined;

  /**
   * `keyPair` reads a Secret's pair; a memoising one parses each Secret version once. Served
   * certificates' dates are checked against `now` (certificate-dates.ts); without it, they are not.
   */
  constructor(
    secrets: ReadonlyMap<string, Secret>,
    results: ResultSink,
    keyPair: (secret: Secret) => KeyPair = readKeyPair,
    now?: number,
  ) {
    this.#secrets = secrets;
    this.#results = results;
    this.#keyPair = keyPair;
    this.#now = now;
  }

  /**
   * The first instant after `now` at which a served certificate becomes valid, comes within the
   * expiry warning or expires: a translation then would report otherwise with nothing else changed.
   */
  revisitAt(): number | undefined {
    return this.#revisitAt;
  }

  /**
   * Each TLS host (lower case) with the object (Ingress, Gateway) whose TLS section claimed it first:
   * the map alone, which a later patch may keep without keeping this collector and its results.
   */
  hostOwners(): ReadonlyMap<string, { readonly owner: KubeObject }> {
    return this.#hostOwner;
  }

  /** Warns `user` about the dates of the certificate it serves (or presents) from `secret`, if wrong. */
  #checkDates(
    user: KubeObject,
    secret: Secret,
    dates: CertificateDates,
    use: CertificateUse = "served",
  ): void {
    const now = this.#now;
    if (now === undefined) return;
    const next = nextDateChange(dates, now);
    if (next !== undefined && (this.#revisitAt === undefined || next < this.#revisitAt))
      this.#revisitAt = next;
    const problem = certificateDateProblem(dates, now, use);
    if (problem === undefined) return;
    const secretKey = `${secret.metadata.namespace ?? ""}/${secret.metadata.name}`;
    const source =
      use === "client"
        ? `annotation konghq.com/client-cert: Secret ${secretKey}`
        : `TLS Secret ${secretKey}`;
    this.#results.problem(user, problem.reason, `${source}: ${problem.message}`);
  }

  /**
   * Call for Ingresses oldest first: the first claim on a host wins. `admits` says which hosts the
   * Ingress's namespace may bind (host ownership; it reports the others).
   */
  addIngress(ingress: Ingress, admits: (host: string) => boolean = () => true): void {
    const namespace = ingress.metadata.namespace ?? "";
    for (const [index, tls] of (ingress.spec.tls ?? []).entries()) {
      if (tls.secretName === undefined || tls.secretName === "" || (tls.hosts ?? []).length === 0)
        continue;
      const secretKey = `${namespace}/${tls.secretName}`;
      const hosts = this.#claimHosts(ingress, { secretKey, hosts: tls.hosts ?? [], index, admits });
      if (hosts.length > 0) this.#attach(ingress, secretKey, hosts);
    }
  }

  #claimHosts(
    ingress: Ingress,
    tls: {
      secretKey: string;
      hosts: readonly string[];
      index: number;
      admits: (host: string) => boolean;
    },
  ): string[] {
    const claimed: string[] = [];
    for (const raw of tls.hosts) {
      const host = raw.toLowerCase();
      const problem = sniNameProblem(host);
      if (problem !== undefined) {
        this.#results.problem(
          ingress,
          "InvalidTLSHost",
          `spec.tls[${tls.index}] host "${raw}": Kong refuses it as a server name (${problem}); it is skipped`,
        );
        continue;
      }
      if (!tls.admits(host)) continue;
      const owner = this.#hostOwner.get(host);
      if (owner === undefined) {
        this.#hostOwner.set(host, { secretKey: tls.secretKey, owner: ingress });
        claimed.push(host);
      } else if (owner.secretKey !== tls.secretKey) {
        this.#conflict(ingress, host, tls.secretKey, owner);
      }
    }
    return claimed;
  }

  #conflict(
    claimant: KubeObject,
    host: string,
    secretKey: string,
    owner: { secretKey: string; owner: KubeObject },
  ): void {
    const o = owner.owner;
    const other = `${o.kind} ${o.metadata.namespace ?? ""}/${o.metadata.name}`;
    const older = o.kind === claimant.kind ? "older " : "";
    this.#results.problem(
      claimant,
      "TLSHostConflict",
      `TLS host "${host}" already uses Secret ${owner.secretKey} (from the ${older}${other}); Secret ${secretKey} is not used for it`,
    );
  }

  /**
   * A Gateway listener's certificate for `hosts` (already checked by the Gateway's evaluation). Call
   * after every Ingress, Gateways oldest first: a host already served with another Secret stays so.
   */
  addListener(gateway: KubeObject, secret: Secret, hosts: readonly string[]): void {
    const secretKey = `${secret.metadata.namespace ?? ""}/${secret.metadata.name}`;
    const claimed: string[] = [];
    for (const host of hosts) {
      const owner = this.#hostOwner.get(host);
      if (owner === undefined) {
        this.#hostOwner.set(host, { secretKey, owner: gateway });
        claimed.push(host);
      } else if (owner.secretKey === secretKey) claimed.push(host);
      else this.#conflict(gateway, host, secretKey, owner);
    }
    this.#results.dependsOn(gateway, secret);
    const pair = this.#keyPair(secret);
    if (!pair.ok || claimed.length === 0) return;
    this.#results.translated(secret);
    this.#checkDates(gateway, secret, pair.dates);
    const group = this.#group(pair, secret);
    const origin: Origin = { object: secret };
    for (const host of claimed) if (!group.snis.has(host)) group.snis.set(host, origin);
  }

  #attach(ingress: Ingress, secretKey: string, hosts: readonly string[]): void {
    const secret = this.#secrets.get(secretKey);
    if (secret === undefined) {
      this.#results.problem(
        ingress,
        "SecretNotFound",
        `TLS Secret ${secretKey} not found; hosts ${hosts.join(", ")} are served without it`,
      );
      return;
    }
    this.#results.dependsOn(ingress, secret);
    const pair = this.#keyPair(secret);
    if (!pair.ok) {
      const message = `TLS Secret ${secretKey} is unusable: ${pair.message}`;
      this.#results.problem(
        ingress,
        "InvalidCertificate",
        `${message}; hosts ${hosts.join(", ")} are served without it`,
      );
      this.#results.problem(secret, "InvalidCertificate", message);
      this.#results.excluded(secret);
      return;
    }
    this.#results.translated(secret);
    this.#checkDates(ingress, secret, pair.dates);
    const group = this.#group(pair, secret);
    const origin: Origin = { object: secret };
    for (const host of hosts) group.snis.set(host, origin);
  }

  #group(pair: { cert: string; key: string; identity: string }, secret: Secret): CertificateGroup {
    const { identity } = pair;
    const existing = this.#groups.get(identity);
    if (existing !== undefined && !isOlder(secret, existing.secret)) return existing;
    // An older Secret with the same pair takes over the id, so the id does not depend on Ingress order.
    const group: CertificateGroup = {
      id: certificateId(secret),
      cert: pair.cert,
      key: pair.key,
      secret,
      snis: existing?.snis ?? new Map<string, Origin>(),
    };
    this.#groups.set(identity, group);
    return group;
  }

  /**
   * A Service's client certificate (`konghq.com/client-cert`): the id of the Kong certificate holding
   * the Secret's pair, or why there is none. Call after every Ingress and listener: a pair already
   * served keeps its id, so an id handed out here never changes within the translation. `user`, the
   * Service naming it, is warned about its dates as a served certificate's users are.
   */
  clientCertificate(
    secret: Secret,
    user: KubeObject,
  ): { ok: true; id: string } | { ok: false; message: string } {
    const pair = this.#keyPair(secret);
    if (!pair.ok) return pair;
    this.#results.translated(secret);
    this.#checkDates(user, secret, pair.dates, "client");
    const existing = this.#groups.get(pair.identity);
    if (existing !== undefined) return { ok: true, id: existing.id };
    return { ok: true, id: this.#group(pair, secret).id };
  }

  /**
   * A CA certificate a Service names; the first Secret or ConfigMap giving an id keeps it, and one
   * giving the same id with another certificate is refused (Kong would take either).
   */
  caCertificate(
    source: Secret | ConfigMap,
  ): { ok: true; id: string } | { ok: false; message: string } {
    const ca = readCaCertificate(source);
    if (!ca.ok) return ca;
    this.#results.translated(source);
    const known = this.#caCertificates.get(ca.id);
    if (known === undefined) {
      this.#caCertificates.set(ca.id, { id: ca.id, origin: { object: source }, cert: ca.cert });
    } else if (known.cert !== ca.cert) {
      const { kind, metadata } = known.origin.object;
      const other = `${kind} ${metadata.namespace ?? ""}/${metadata.name}`;
      return { ok: false, message: `its id ${ca.id} is already used by ${other}` };
    }
    return { ok: true, id: ca.id };
  }

  /** The CA certificates Services named, sorted by id. */
  caCertificates(): readonly IrCaCertificate[] {
    return [...this.#caCertificates.values()].sort((a, b) => compareStrings(a.id, b.id));
  }

  /** The certificates, sorted by id, each with its SNIs sorted by name. */
  certificates(): readonly IrCertificate[] {
    return [...this.#groups.values()]
      .map(g => ({
        id: g.id,
        origin: { object: g.secret },
        cert: g.cert,
        key: g.key,
        snis: [...g.snis.entries()]
          .sort(([a], [b]) => compareStrings(a, b))
          .map(([name, origin]) => ({ name, origin })),
      }))
      .sort((a, b) => compareStrings(a.id, b.id));
  }
}

/** KIC uses the Secret's UID; manifests without one (offline use) get a stable derived id. */
function certificateId(secret: Secret): string {
  const uid = secret.metadata.uid;
  if (
    uid !== undefined &&
    /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(uid)
  )
    return uid.toLowerCase();
  return entityId("certificates", `${secret.metadata.namespace ?? ""}/${secret.metadata.name}`);
}

function isOlder(
  a: { metadata: { creationTimestamp?: string; namespace?: string; name: string } },
  b: typeof a,
): boolean {
  return compareAge(a, b) < 0;
}

/** Oldest first; ties (and objects without timestamps) by namespace/name, so the order is total. */
export function compareAge(
  a: { metadata: { creationTimestamp?: string; namespace?: string; name: string } },
  b: typeof a,
): number {
  const ta = a.metadata.creationTimestamp ?? "";
  const tb = b.metadata.creationTimestamp ?? "";
  return (
    compareStrings(ta, tb) ||
    compareStrings(
      `${a.metadata.namespace ?? ""}/${a.metadata.name}`,
      `${b.metadata.namespace ?? ""}/${b.metadata.name}`,
    )
  );
}
