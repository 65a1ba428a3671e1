/**
 * Ingress TLS sections, client certificates and CA certificates (tls.ts): who owns a host, what a
 * broken or missing Secret costs, identical pairs merged, and KIC's CA certificate Secrets. Secrets
 * come from the golden cases' PEM data and go through the Store and its snapshot.
 */
import { describe, expect, it } from "vitest";
import type { Secret, Service } from "../../../src/model/k8s.ts";
import { ResultsBuilder } from "../../../src/translator/results.ts";
import {
  CertificateCollector,
  KeyPairVerdicts,
  readCaCertificate,
  readKeyPair,
} from "../../../src/translator/tls.ts";
import {
  goldenObject,
  goldenSecret,
  ingress,
  ingressClass,
  service,
  storeSnapshot,
  type Raw,
} from "./store-snapshot.ts";

/** A certificate without the CA basic constraint. */
const LEAF = [
  "-----BEGIN CERTIFICATE-----",
  "MIIBiTCCATCgAwIBAgIUCI5jgAeJUSWdbvm09GzckOOSBjIwCgYIKoZIzj0EAwIw",
  "GzEZMBcGA1UEAwwQbGVhZi5leGFtcGxlLmNvbTAgFw0yNjEyMDMyMDE3NTNaGA8y",
  "MTI2MTEwOTIwMTc1M1owGzEZMBcGA1UEAwwQbGVhZi5leGFtcGxlLmNvbTBZMBMG",
  "ByqGSM49AgEGCCqGSM49AwEHA0IABLPJDWm0xcRkXVyPXjWaTowgp7C7jRppzHLJ",
  "DY1F2yNW00SJZQ13TIeAUk2i76GXDf8alA8gp2ZJWHLKAZe7jnyjUDBOMB0GA1Ud",
  "DgQWBBTYwAjVaO1M/9KpTW0ESU4Ctyu2+DAfBgNVHSMEGDAWgBTYwAjVaO1M/9Kp",
  "TW0ESU4Ctyu2+DAMBgNVHRMBAf8EAjAAMAoGCCqGSM49BAMCA0cAMEQCID2vi4Mf",
  "8efb9ay38cEFkOvl6W4P3vW+mJooGNV0OVULAiBSRQeKmmVT3+VRA8FIZ9N2rBlb",
  "ZxP0VZOROtRZss+Ejw==",
  "-----END CERTIFICATE-----",
].join("\n");

const pair = (name: string) => goldenSecret("tls-basic", "shop-tls", name);
const otherPair = (name: string) => goldenSecret("tls-host-conflict", "api-tls", name);
const mismatched = (name: string) => goldenSecret("tls-mismatched-key", "mismatch-tls", name);

const tlsIngress = (
  name: string,
  tls: { hosts: string[]; secretName: string }[],
  created: string,
) => ingress(name, { tls, rules: [] }, {}, created);

function collect(objects: Raw[]) {
  const snapshot = storeSnapshot([ingressClass(), ...objects]);
  const secrets = new Map<string, Secret>(
    snapshot.secrets.map(s => [`${s.metadata.namespace ?? ""}/${s.metadata.name}`, s]),
  );
  const results = new ResultsBuilder();
  const collector = new CertificateCollector(secrets, results);
  // Oldest first, as ingresses.ts hands them over.
  const ingresses = [...snapshot.ingresses].sort((a, b) =>
    (a.metadata.creationTimestamp ?? "").localeCompare(b.metadata.creationTimestamp ?? ""),
  );
  for (const i of ingresses) collector.addIngress(i);
  const problems = results
    .build()
    .flatMap(r => r.problems.map(p => `${r.ref.kind} ${r.ref.name}: ${p.reason}`));
  const certificates = collector.certificates().map(c => ({
    secret: c.origin.object.metadata.name,
    snis: c.snis.map(s => `${s.name}@${s.origin.object.metadata.name}`),
  }));
  return { certificates, problems, collector, secrets, snapshot };
}

const T1 = "2024-01-01T00:00:01Z";
const T2 = "2024-01-01T00:00:02Z";

describe("CertificateCollector.addIngress", () => {
  it.each([
    {
      name: "a TLS section: the Secret's pair with the hosts as SNIs (lower case)",
      objects: [
        pair("tls"),
        tlsIngress("a", [{ hosts: ["Shop.example.com"], secretName: "tls" }], T1),
      ],
      certificates: [{ secret: "tls", snis: ["shop.example.com@tls"] }],
      problems: [],
    },
    {
      name: "a missing Secret: its hosts are served without it",
      objects: [tlsIngress("a", [{ hosts: ["shop.example.com"], secretName: "gone" }], T1)],
      certificates: [],
      problems: ["Ingress a: SecretNotFound"],
    },
    {
      name: "a key that does not match: the Ingress and the Secret are told",
      objects: [
        mismatched("bad"),
        tlsIngress("a", [{ hosts: ["shop.example.com"], secretName: "bad" }], T1),
      ],
      certificates: [],
      problems: ["Ingress a: InvalidCertificate", "Secret bad: InvalidCertificate"],
    },
    {
      name: "an invalid host is skipped, the others kept",
      objects: [
        pair("tls"),
        tlsIngress("a", [{ hosts: ["bad_host!", "ok.example.com"], secretName: "tls" }], T1),
      ],
      certificates: [{ secret: "tls", snis: ["ok.example.com@tls"] }],
      problems: ["Ingress a: InvalidTLSHost"],
    },
    {
      name: "the older Ingress keeps a host another Secret claims later",
      objects: [
        pair("first"),
        otherPair("second"),
        tlsIngress("new", [{ hosts: ["shop.example.com"], secretName: "second" }], T2),
        tlsIngress("old", [{ hosts: ["shop.example.com"], secretName: "first" }], T1),
      ],
      certificates: [{ secret: "first", snis: ["shop.example.com@first"] }],
      problems: ["Ingress new: TLSHostConflict"],
    },
    {
      name: "identical pairs in two Secrets: one certificate, each SNI tagged with its Secret",
      objects: [
        pair("copy-b"),
        pair("copy-a"),
        tlsIngress("a", [{ hosts: ["a.example.com"], secretName: "copy-a" }], T1),
        tlsIngress("b", [{ hosts: ["b.example.com"], secretName: "copy-b" }], T2),
      ],
      // Equally old: the name decides, so the id does not depend on which Ingress came first.
      certificates: [{ secret: "copy-a", snis: ["a.example.com@copy-a", "b.example.com@copy-b"] }],
      problems: [],
    },
  ])("$name", ({ objects, certificates, problems }) => {
    const got = collect(objects);
    expect(got.certificates).toEqual(certificates);
    expect(got.problems).toEqual(problems);
  });
});

describe("CertificateCollector.clientCertificate", () => {
  it("serves a pair already used for SNIs under its id, and adds a new pair as a certificate", () => {
    const { collector, secrets, snapshot } = collect([
      pair("tls"),
      pair("client-copy"),
      mismatched("bad"),
      // A Service naming them is what makes the Store keep their data.
      service("up", undefined, { "konghq.com/client-cert": "client-copy" }),
      service("down", undefined, { "konghq.com/client-cert": "bad" }),
      tlsIngress("a", [{ hosts: ["shop.example.com"], secretName: "tls" }], T1),
    ]);
    const [up, down] = ["up", "down"].map(
      name => snapshot.services.find(s => s.metadata.name === name) as Service,
    );
    const served = collector.certificates()[0]?.id;
    const copy = collector.clientCertificate(
      secrets.get("shop/client-copy") as Secret,
      up as Service,
    );
    expect(copy).toEqual({ ok: true, id: served });
    const bad = collector.clientCertificate(secrets.get("shop/bad") as Secret, down as Service);
    expect(bad.ok).toBe(false);
    expect(collector.certificates()).toHaveLength(1);
  });
});

describe("readCaCertificate", () => {
  const ca = goldenSecret("service-upstream-tls", "internal-ca", "ca");
  const withData = (data: Record<string, string>): Raw => ({ ...ca, stringData: data });
  const caPem = String((ca as { stringData?: Record<string, string> }).stringData?.["cert"]);
  it.each([
    { name: "id and a CA cert", data: undefined, ok: true },
    { name: "no id", data: { cert: caPem }, ok: false, message: "under id" },
    {
      name: "an id that is no UUID",
      data: { id: "ca-1", cert: caPem },
      ok: false,
      message: "not a UUID",
    },
    {
      name: "a certificate that is no CA",
      data: { id: "6b5f3e52-1a2b-4c3d-8e9f-0a1b2c3d4e5f", cert: LEAF },
      ok: false,
      message: "not a CA certificate",
    },
    {
      name: "no PEM",
      data: { id: "6b5f3e52-1a2b-4c3d-8e9f-0a1b2c3d4e5f", cert: "junk" },
      ok: false,
      message: "not a valid PEM",
    },
  ])("$name", ({ data, ok, message }) => {
    const snapshot = storeSnapshot([data === undefined ? ca : withData(data)]);
    const secret = snapshot.secrets[0];
    // Unreferenced Secrets stay stubs; this one is labelled konghq.com/ca-cert, so it has its data.
    if (secret === undefined) throw new Error("the Secret is not in the snapshot");
    const got = readCaCertificate(secret);
    expect(got.ok).toBe(ok);
    if (!got.ok) expect(got.message).toContain(message);
  });
});

describe("CA certificates in ConfigMaps (konghq.com/ca-certificates-configmaps)", () => {
  const CASE = "service-ca-certificates-configmaps";
  const cm = goldenObject(CASE, { kind: "ConfigMap", name: "upstream-ca" }, "ca");
  const cmPem = String((cm as { data?: Record<string, string> }).data?.["cert"]);
  const ID = "c95972f4-946a-4a94-b12c-19cf56e6b285";
  const withData = (data: Record<string, string>): Raw => ({ ...cm, data });
  it.each([
    { name: "id and a CA cert, as plain text", data: undefined, ok: true },
    { name: "id with spaces around it", data: { id: ` ${ID}\n`, cert: cmPem }, ok: true },
    { name: "no cert", data: { id: ID }, ok: false, message: "under cert" },
    {
      name: "base64 as a Secret would hold it",
      data: { id: ID, cert: Buffer.from(cmPem).toString("base64") },
      ok: false,
      message: "not a valid PEM",
    },
    { name: "a certificate that is no CA", data: { id: ID, cert: LEAF }, ok: false, message: "CA" },
  ])("$name", ({ data, ok, message }) => {
    const snapshot = storeSnapshot([data === undefined ? cm : withData(data)]);
    const configMap = snapshot.configMaps[0];
    if (configMap === undefined) throw new Error("the ConfigMap is not in the snapshot");
    const got = readCaCertificate(configMap);
    expect(got).toMatchObject(ok ? { ok, id: ID } : { ok });
    if (!got.ok) expect(got.message).toContain(message);
  });

  it("gives one id to a Secret and a ConfigMap only when they hold the same certificate", () => {
    const secretCa = goldenSecret("service-upstream-tls", "internal-ca", "secret-ca");
    const secretId = "6b5f3e52-1a2b-4c3d-8e9f-0a1b2c3d4e5f";
    const sameId = withData({ id: secretId, cert: cmPem });
    const snapshot = storeSnapshot([secretCa, sameId]);
    const [secret] = snapshot.secrets;
    const [configMap] = snapshot.configMaps;
    if (secret === undefined || configMap === undefined) throw new Error("objects missing");
    const results = new ResultsBuilder();
    const collector = new CertificateCollector(new Map(), results);
    expect(collector.caCertificate(secret)).toEqual({ ok: true, id: secretId });
    expect(collector.caCertificate(configMap)).toEqual({
      ok: false,
      message: `its id ${secretId} is already used by Secret shop/secret-ca`,
    });
    expect(collector.caCertificates().map(c => c.origin.object.kind)).toEqual(["Secret"]);
  });
});

describe("readKeyPair with verdicts kept by content", () => {
  /** Counts the pairs actually parsed and checked (each new verdict is set once). */
  class CountingVerdicts extends KeyPairVerdicts {
    checked = 0;
    override set(...args: Parameters<KeyPairVerdicts["set"]>): void {
      this.checked++;
      super.set(...args);
    }
  }

  it("checks identical Secrets once, and a different pair or a wrong key on its own", () => {
    const names = ["a", "b", "c", "d"];
    const { snapshot } = collect([
      ...[pair("a"), pair("b"), mismatched("c"), otherPair("d")],
      // Referenced, so the store holds their data.
      tlsIngress(
        "i",
        names.map(n => ({ hosts: [`${n}.example.com`], secretName: n })),
        T1,
      ),
    ]);
    const byName = new Map(snapshot.secrets.map(s => [s.metadata.name, s]));
    const verdicts = new CountingVerdicts();
    const read = (name: string) => readKeyPair(byName.get(name) as Secret, verdicts);
    const [a, b, c, d] = [read("a"), read("b"), read("c"), read("d")];
    expect(verdicts.checked).toBe(3);
    expect(a.ok && b.ok && d.ok).toBe(true);
    expect(b).toEqual(a);
    expect(b).toEqual(readKeyPair(byName.get("b") as Secret));
    expect(c).toEqual({ ok: false, message: "tls.key does not match the certificate in tls.crt" });
    expect(c).toEqual(readKeyPair(byName.get("c") as Secret));
    expect(d.ok && a.ok && d.identity !== a.identity).toBe(true);
  });
});
