import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { accepted, fieldsOf, firstEntityErrors, rejected, V3 } from "./helpers.ts";

const read = (name: string) => readFileSync(`test/fixtures/certs/${name}`, "utf8");
const apiCert = read("api.crt");
const apiKey = read("api.key");
const shopCert = read("shop.crt");
const shopKey = read("shop.key");
const ecKey = read("other-ec.key");

describe("certificates (§2.6)", () => {
  it("accepts a matching pair and flattens nested snis", () => {
    const entities = accepted({
      ...V3,
      certificates: [
        { cert: apiCert, key: apiKey, snis: [{ name: "api.example.com", tags: ["t"] }] },
      ],
    });
    const certId = Object.keys(entities["certificates"] ?? {})[0];
    expect(Object.values(entities["snis"] ?? {})[0]).toMatchObject({
      name: "api.example.com",
      certificate: { id: certId },
      tags: ["t"],
    });
  });

  it.each<[string, Record<string, unknown>, (e: unknown) => void]>([
    [
      "missing key",
      { cert: apiCert },
      e => {
        expect(e).toEqual({ key: "required field missing" });
      },
    ],
    [
      "unparsable cert",
      { cert: "nope", key: apiKey },
      e => {
        expect((e as { cert: string }).cert).toMatch(/^invalid certificate: /);
      },
    ],
    [
      "unparsable key",
      { cert: apiCert, key: "nope" },
      e => {
        expect((e as { key: string }).key).toMatch(/^invalid key: /);
      },
    ],
    [
      "mismatched key",
      { cert: apiCert, key: shopKey },
      e => {
        expect(e).toEqual({ "@entity": ["certificate does not match key"] });
      },
    ],
    [
      "alt cert without alt key",
      { cert: apiCert, key: apiKey, cert_alt: shopCert },
      e => {
        expect(e).toEqual({
          "@entity": ["all or none of these fields must be set: 'cert_alt', 'key_alt'"],
        });
      },
    ],
    [
      "alt pair mismatched",
      { cert: apiCert, key: apiKey, cert_alt: shopCert, key_alt: ecKey },
      e => {
        expect(e).toEqual({ "@entity": ["alternative certificate does not match key"] });
      },
    ],
    [
      "alt pair of the same type",
      { cert: apiCert, key: apiKey, cert_alt: shopCert, key_alt: shopKey },
      e => {
        expect(e).toEqual({
          "@entity": [
            "certificate and alternative certificate need to have different type (e.g. RSA and ECDSA), the provided certificates were both of the same type",
          ],
        });
      },
    ],
  ])("%s", (_name, certificate, check) => {
    check(firstEntityErrors("certificates", certificate));
  });

  it("skips PEM checks for vault references", () => {
    const entities = accepted({
      ...V3,
      certificates: [{ cert: "{vault://env/cert}", key: "{vault://env/key}" }],
    });
    expect(Object.keys(entities["certificates"] ?? {})).toHaveLength(1);
  });
});

describe("ca_certificates (§2.6)", () => {
  it("computes cert_digest", () => {
    const entities = accepted({ ...V3, ca_certificates: [{ cert: apiCert }] });
    expect(Object.values(entities["ca_certificates"] ?? {})[0]?.["cert_digest"]).toMatch(
      /^[0-9a-f]{64}$/,
    );
  });

  it.each<[string, Record<string, unknown>, number, string]>([
    [
      "two certificates",
      { cert: apiCert + shopCert },
      0,
      "please submit only one certificate at a time",
    ],
    [
      "expired",
      { cert: apiCert },
      Date.UTC(2200, 0, 1),
      'certificate expired, "Not After" time is in the past',
    ],
  ])("%s", (_name, ca, now, message) => {
    expect(firstEntityErrors("ca_certificates", ca, { now })).toEqual({ "@entity": [message] });
  });

  it("keys duplicate digests by id, keeping the last", () => {
    const fields = fieldsOf({ ...V3, ca_certificates: [{ cert: apiCert }, { cert: apiCert }] }) as {
      ca_certificates: Record<string, string>;
    };
    const [[, message]] = Object.entries(fields.ca_certificates) as [[string, string]];
    expect(message).toMatch(
      /^uniqueness violation: 'ca_certificates' entity with cert_digest set to '[0-9a-f]{64}' already declared$/,
    );
  });
});

describe("snis (§2.6)", () => {
  it("requires global uniqueness of names", () => {
    const doc = {
      ...V3,
      certificates: [
        { cert: apiCert, key: apiKey, snis: [{ name: "a.example" }] },
        { cert: shopCert, key: shopKey, snis: [{ name: "a.example" }] },
      ],
    };
    expect(fieldsOf(doc)).toEqual({
      certificates: [
        null,
        {
          snis: [
            "uniqueness violation: 'snis' entity with name set to 'a.example' already declared",
          ],
        },
      ],
    });
  });

  it("references certificates by id only", () => {
    const error = rejected({ ...V3, snis: [{ name: "a.example", certificate: "my-cert" }] });
    expect(error.fields).toEqual({
      snis: {
        "a.example": ["invalid reference 'certificate: my-cert' (no such entry in 'certificates')"],
      },
    });
  });

  it.each<[string, string]>([
    ["a.*.example", "wildcard must be leftmost or rightmost character"],
    ["10.0.0.1", "must not be an IP"],
  ])("name %s -> %s", (name, message) => {
    expect(
      fieldsOf({ ...V3, certificates: [{ cert: apiCert, key: apiKey, snis: [{ name }] }] }),
    ).toEqual({
      certificates: [{ snis: [{ name: message }] }],
    });
  });
});
