/** `certificates`, `ca_certificates` and `snis` (certificates.lua, ca_certificates.lua, snis.lua). */
import {
  caCertificateProblem,
  certificateKeyType,
  certificateMatchesKey,
  validateCertificatePem,
  validateKeyPem,
} from "../certificates.ts";
import { validateWildcardSni } from "../hosts.ts";
import * as t from "../typedefs.ts";
import type { CheckOutcome, EntitySchema, FieldDef, Record_, SchemaContext } from "../types.ts";

const certField: FieldDef = { type: "string", custom: validateCertificatePem };
const keyField: FieldDef = { type: "string", custom: validateKeyPem };

export const certificates: EntitySchema = {
  collection: "certificates",
  fields: [
    ["id", t.id],
    ["cert", { ...certField, required: true }],
    ["key", { ...keyField, required: true }],
    ["cert_alt", certField],
    ["key_alt", keyField],
    ["tags", t.tags],
  ],
  entityChecks: [
    { kind: "mutuallyRequired", fields: ["cert_alt", "key_alt"] },
    {
      kind: "custom",
      fields: ["cert", "key", "cert_alt", "key_alt"],
      run: (r: Record_): CheckOutcome | undefined => {
        if (certificateMatchesKey(r["cert"], r["key"]) === false) {
          return { entity: ["certificate does not match key"] };
        }
        if (r["cert_alt"] === null || r["key_alt"] === null) return undefined;
        if (certificateMatchesKey(r["cert_alt"], r["key_alt"]) === false) {
          return { entity: ["alternative certificate does not match key"] };
        }
        const main = certificateKeyType(r["cert"]);
        if (main !== undefined && main === certificateKeyType(r["cert_alt"])) {
          return {
            entity: [
              "certificate and alternative certificate need to have different type (e.g. RSA and ECDSA), the provided certificates were both of the same type",
            ],
          };
        }
        return undefined;
      },
    },
  ],
};

export function caCertificatesSchema(ctx: SchemaContext): EntitySchema {
  return {
    collection: "ca_certificates",
    uniqueFields: ["cert_digest"],
    fields: [
      ["id", t.id],
      ["cert", { ...certField, required: true }],
      ["cert_digest", t.str],
      ["tags", t.tags],
    ],
    entityChecks: [
      {
        kind: "custom",
        fields: ["cert"],
        run: r => {
          const problem = caCertificateProblem(r["cert"], ctx.now);
          return problem === undefined ? undefined : { entity: [problem] };
        },
      },
    ],
  };
}

export const snis: EntitySchema = {
  collection: "snis",
  endpointKey: "name",
  fields: [
    ["id", t.id],
    [
      "name",
      {
        type: "string",
        required: true,
        custom: v => (typeof v === "string" ? validateWildcardSni(v) : undefined),
      },
    ],
    ["tags", t.tags],
    ["certificate", t.foreign("certificates", true)],
  ],
};
