/**
 * docs/kic-compatibility.md against the code: every annotation, label and Kong-kind field the code
 * reads is listed, none is listed as read that the code does not know, and every one KIC reads
 * (kic-kong-resources.md §1 and §6) has its row.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { CONFIGMAP_LABEL } from "../../../src/model/k8s.ts";
import { KIND_DEFINITIONS } from "../../../src/model/kinds.ts";
import {
  CREDENTIAL_TYPE_LABEL,
  GLOBAL_PLUGIN_LABEL,
  KONG_GROUP,
  UPSTREAM_POLICY_ANNOTATION,
} from "../../../src/model/kong.ts";
import { CA_CERT_LABEL } from "../../../src/store/ownership.ts";
import {
  FORCE_SSL_REDIRECT,
  HEADERS_PREFIX,
  parseRouteAnnotations,
  parseServiceAnnotations,
  PLUGINS_ANNOTATION,
  ROUTE_ANNOTATIONS,
  SERVICE_ANNOTATIONS,
  SERVICE_UPSTREAM,
} from "../../../src/translator/annotations.ts";
import { INGRESS_CLASS_ANNOTATION } from "../../../src/translator/ingress-class.ts";

const DOC = readFileSync(new URL("../../../docs/kic-compatibility.md", import.meta.url), "utf8");
const STATES = new Set(["supported", "different", "warned", "unsupported"]);

interface Row {
  readonly key: string;
  readonly readOn: string;
  readonly state: string;
}

/** The rows of the table under `## <section>` whose first cell is one backticked key. */
function table(section: string, stateColumn: number): Row[] {
  const start = DOC.indexOf(`\n## ${section}\n`);
  if (start < 0) throw new Error(`no section ${section}`);
  const end = DOC.indexOf("\n## ", start + 1);
  const lines = DOC.slice(start, end < 0 ? undefined : end).split("\n");
  return lines
    .filter(l => l.startsWith("| `"))
    .map(line => {
      const cells = line
        .slice(1, -1)
        .split(" | ")
        .map(c => c.trim());
      const key = /^`([^`]+)`$/.exec(cells[0] ?? "")?.[1];
      if (key === undefined) throw new Error(`the first cell of "${line}" is not one key`);
      return {
        key,
        readOn: stateColumn > 1 ? (cells[1] ?? "") : "",
        state: cells[stateColumn] ?? "",
      };
    });
}

const annotations = table("Annotations", 2);
const labels = table("Labels", 2);
const kinds = table("Kong kinds", 1);

/** Every annotation key the translator reads, from the code's own lists. */
const CODE_ANNOTATIONS = new Set([
  ...ROUTE_ANNOTATIONS,
  ...SERVICE_ANNOTATIONS,
  FORCE_SSL_REDIRECT,
  SERVICE_UPSTREAM,
  PLUGINS_ANNOTATION,
  UPSTREAM_POLICY_ANNOTATION,
  INGRESS_CLASS_ANNOTATION,
  `${HEADERS_PREFIX}<name>`,
]);

const CODE_LABELS = new Set([
  CONFIGMAP_LABEL,
  CA_CERT_LABEL,
  CREDENTIAL_TYPE_LABEL,
  GLOBAL_PLUGIN_LABEL,
]);

/** What KIC reads (kic-kong-resources.md §6), one key per entry. */
const KIC_ANNOTATIONS = [
  "konghq.com/plugins",
  "konghq.com/override",
  "konghq.com/upstream-policy",
  "konghq.com/protocol",
  "konghq.com/path",
  "konghq.com/connect-timeout",
  "konghq.com/read-timeout",
  "konghq.com/write-timeout",
  "konghq.com/retries",
  "konghq.com/tls-verify",
  "konghq.com/tls-verify-depth",
  "konghq.com/client-cert",
  "konghq.com/ca-certificates-secrets",
  "konghq.com/ca-certificates-configmaps",
  "konghq.com/host-header",
  "ingress.kubernetes.io/service-upstream",
  "konghq.com/protocols",
  "konghq.com/strip-path",
  "konghq.com/preserve-host",
  "konghq.com/https-redirect-status-code",
  "ingress.kubernetes.io/force-ssl-redirect",
  "konghq.com/request-buffering",
  "konghq.com/response-buffering",
  "konghq.com/regex-priority",
  "konghq.com/path-handling",
  "konghq.com/methods",
  "konghq.com/snis",
  "konghq.com/host-aliases",
  "konghq.com/headers.<name>",
  "konghq.com/headers-separator",
  "konghq.com/regex-prefix",
  "konghq.com/rewrite",
  "konghq.com/tags",
  "kubernetes.io/ingress.class",
  "konghq.com/gatewayclass-unmanaged",
  "konghq.com/publish-service",
];
const KIC_LABELS = [
  "konghq.com/credential",
  "konghq.com/validate",
  "konghq.com/ca-cert",
  "konghq.com/configmap",
  "global",
];
const KIC_KINDS = [
  "KongPlugin",
  "KongClusterPlugin",
  "KongConsumer",
  "KongConsumerGroup",
  "KongUpstreamPolicy",
  "KongIngress",
  "KongCustomEntity",
  "KongVault",
  "KongServiceFacade",
  "TCPIngress",
  "UDPIngress",
  "IngressClassParameters",
];

const read = (rows: readonly Row[]) => rows.filter(r => r.state !== "unsupported");
const keys = (rows: readonly Row[]) => rows.map(r => r.key);

describe("docs/kic-compatibility.md", () => {
  it("gives every row one of the four states, and each key one row", () => {
    for (const rows of [annotations, labels, kinds]) {
      expect(rows.filter(r => !STATES.has(r.state))).toEqual([]);
      expect(new Set(keys(rows)).size).toBe(rows.length);
    }
  });

  it("lists every annotation the code reads, as read", () => {
    expect([...CODE_ANNOTATIONS].filter(k => !keys(read(annotations)).includes(k))).toEqual([]);
  });

  it("claims no annotation the code does not know", () => {
    expect(keys(read(annotations)).filter(k => !CODE_ANNOTATIONS.has(k))).toEqual([]);
  });

  it("lists every annotation KIC reads", () => {
    expect(KIC_ANNOTATIONS.filter(k => !keys(annotations).includes(k))).toEqual([]);
  });

  it("is right about the konghq.com annotations of Services and Ingresses: read, or reported", () => {
    const onObjects = annotations.filter(
      r => r.key.startsWith("konghq.com/") && /Service|Ingress|route objects/.test(r.readOn),
    );
    for (const { key, readOn, state } of onObjects) {
      const name = key.replace("<name>", "x-tenant");
      const parsed = /Service/.test(readOn)
        ? parseServiceAnnotations({ [name]: "1" })
        : parseRouteAnnotations({ [name]: "1" });
      const reasons = parsed.problems.map(p => p.reason);
      if (state === "unsupported") expect(reasons, key).toContain("UnsupportedAnnotation");
      else expect(reasons, key).not.toContain("UnknownAnnotation");
    }
  });

  it("lists every label the code reads, and every one KIC reads", () => {
    expect([...CODE_LABELS].filter(k => !keys(read(labels)).includes(k))).toEqual([]);
    expect(keys(read(labels)).filter(k => !CODE_LABELS.has(k))).toEqual([]);
    expect(KIC_LABELS.filter(k => !keys(labels).includes(k))).toEqual([]);
  });

  const kongKinds = KIND_DEFINITIONS.filter(def => def.group === KONG_GROUP);

  it("lists every field the code keeps of KIC's kinds (kept is not read: consumerRef)", () => {
    const missing = kongKinds.flatMap(def =>
      def.keptFields
        .filter(field => field !== "status")
        .map(field => `${def.kind}.${field}`)
        .filter(prefix => !keys(kinds).some(k => k === prefix || k.startsWith(`${prefix}.`))),
    );
    expect(missing).toEqual([]);
  });

  it("claims no field the code does not keep, nor a kind it does not read", () => {
    const unknown = keys(read(kinds)).filter(key => {
      const [kind, field] = key.split(".");
      const def = kongKinds.find(d => d.kind === kind);
      return def === undefined || field === undefined || !def.keptFields.includes(field);
    });
    expect(unknown).toEqual([]);
  });

  it("lists every kind of KIC's", () => {
    const listed = new Set(keys(kinds).map(k => k.split(".")[0]));
    expect(KIC_KINDS.filter(k => !listed.has(k))).toEqual([]);
    expect(kongKinds.map(d => d.kind).filter(k => !listed.has(k))).toEqual([]);
  });
});
