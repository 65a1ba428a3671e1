import { afterAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import {
  APP,
  cli,
  ingressYaml,
  INGRESS,
  routeNames,
  SERVICE,
  SLICE,
  stderrLines,
  tempTree,
} from "./support.ts";

/** The 1-based line a document starts on, given all the text before it. */
function lineAfter(before: string): number {
  return before.split("\n").length;
}

const trees: (() => void)[] = [];
afterAll(() => {
  for (const cleanup of trees) cleanup();
});

function tree(files: Readonly<Record<string, string | Buffer>>): string {
  const t = tempTree(files);
  trees.push(t.cleanup);
  return t.dir;
}

const CLASS = `apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata:
  name: kong
spec:
  controller: ingress-controllers.konghq.com/kong
`;

const CONFIG_MAP = `apiVersion: v1
kind: Pod
metadata:
  name: settings
  namespace: shop
data:
  a: b
`;

describe("kongress translate: exit 0", () => {
  it("prints the examples' config as canonical JSON with no notes", async () => {
    const run = await cli(["translate", "-f", "examples/"]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const config = JSON.parse(run.stdout) as Record<string, unknown>;
    expect(run.stdout).toBe(`${JSON.stringify(config, null, 2)}\n`);
    expect(Object.keys(config)).toEqual([...Object.keys(config)].sort());
    expect(config["_format_version"]).toBe("3.0");
    expect(routeNames(run.stdout).length).toBeGreaterThan(3);
  });

  it("-o yaml prints the same config as YAML, PEM as block scalars", async () => {
    const json = await cli(["translate", "-f", "examples"]);
    const yaml = await cli(["translate", "-f", "examples", "-o", "yaml"]);
    expect(yaml.code).toBe(0);
    expect(parse(yaml.stdout)).toEqual(JSON.parse(json.stdout));
    expect(yaml.stdout).toMatch(/cert: \|/);
    expect(yaml.stdout.startsWith('_format_version: "3.0"\n')).toBe(true);
  });

  it("reads a multi-document file, skipping empty documents", async () => {
    const dir = tree({ "app.yaml": `---\n# nothing here\n---\n${APP}---\n---\n` });
    const run = await cli(["translate", "-f", "app.yaml"], dir);
    expect(run).toMatchObject({ code: 0, stderr: "" });
    expect(routeNames(run.stdout)).toEqual(["shop.shop.web.shop.example.com.80"]);
  });

  it("reads a directory recursively, only its .yaml, .yml and .json files", async () => {
    const dir = tree({
      "m/a/service.yml": SERVICE,
      "m/b/c/slice.json": JSON.stringify(parse(SLICE)),
      "m/ingress.YAML": INGRESS,
      "m/README.md": "not: [a manifest",
      "m/notes.txt": "{{{",
    });
    const run = await cli(["translate", "-f", "m"], dir);
    expect(run).toMatchObject({ code: 0, stderr: "" });
    const config = JSON.parse(run.stdout) as { upstreams: { targets: { target: string }[] }[] };
    expect(config.upstreams[0]?.targets.map(t => t.target)).toEqual(["10.0.0.1:8080"]);
  });

  it("combines several -f paths", async () => {
    const dir = tree({ "svc.yaml": SERVICE, "more/slice.yaml": SLICE, "ing.yaml": INGRESS });
    const run = await cli(
      ["translate", "-f", "svc.yaml", "-f", "more", "--filename=ing.yaml"],
      dir,
    );
    expect(run).toMatchObject({ code: 0, stderr: "" });
    expect(routeNames(run.stdout)).toEqual(["shop.shop.web.shop.example.com.80"]);
  });

  it.each([
    ["kind: List", "v1", "List"],
    ["a typed list whose items carry no apiVersion and kind", "v1", "ServiceList"],
  ])("reads %s", async (_label, apiVersion, kind) => {
    const service = parse(SERVICE) as Record<string, unknown>;
    const item =
      kind === "List" ? service : { metadata: service["metadata"], spec: service["spec"] };
    const list = JSON.stringify({ apiVersion, kind, items: [item] });
    const dir = tree({ "list.json": list, "rest.yaml": `${SLICE}---\n${INGRESS}` });
    const run = await cli(["translate", "-f", "."], dir);
    expect(run).toMatchObject({ code: 0, stderr: "" });
    expect(routeNames(run.stdout)).toEqual(["shop.shop.web.shop.example.com.80"]);
  });

  it("ignores an object of an unsupported kind with a note on stderr", async () => {
    const dir = tree({ "app.yaml": `${APP}---\n${CONFIG_MAP}` });
    const run = await cli(["translate", "-f", "app.yaml"], dir);
    expect(run.code).toBe(0);
    expect(stderrLines(run)).toEqual([
      `note: app.yaml:${lineAfter(`${APP}---\n`)}: ignoring v1 Pod shop/settings (not a kind kongress translates)`,
    ]);
    expect(routeNames(run.stdout)).toHaveLength(1);
  });

  it("notes an unsupported API version of a kind it handles", async () => {
    const old = INGRESS.replace("networking.k8s.io/v1", "extensions/v1beta1");
    const dir = tree({ "old.yaml": `${SERVICE}---\n${old}` });
    const run = await cli(["translate", "-f", "old.yaml"], dir);
    expect(run.code).toBe(0);
    expect(stderrLines(run)).toEqual([
      `note: old.yaml:${lineAfter(`${SERVICE}---\n`)}: ignoring extensions/v1beta1 Ingress shop/shop (kongress reads Ingress only as networking.k8s.io/v1)`,
    ]);
  });

  it("notes an object defined twice; the later definition wins", async () => {
    const dir = tree({
      "a.yaml": APP,
      "b.yaml": ingressYaml({ host: "other.example.com" }),
    });
    const run = await cli(["translate", "-f", "a.yaml", "-f", "b.yaml"], dir);
    expect(run.code).toBe(0);
    expect(stderrLines(run)).toEqual([
      `note: b.yaml:1: Ingress shop/shop replaces the one defined at a.yaml:${lineAfter(`${SERVICE}---\n${SLICE}---\n`)}`,
    ]);
    expect(routeNames(run.stdout)).toEqual(["shop.shop.web.other.example.com.80"]);
  });
});

describe("kongress translate --ingress-class", () => {
  const dir = tree({
    "app.yaml": [
      CLASS,
      SERVICE,
      SLICE,
      ingressYaml({ name: "ours", host: "a.example.com" }),
      ingressYaml({ name: "theirs", host: "b.example.com", className: "internal" }),
    ].join("---\n"),
  });

  it.each([
    [[], ["shop.ours.web.a.example.com.80"]],
    [["--ingress-class", "kong"], ["shop.ours.web.a.example.com.80"]],
    [["--ingress-class", "internal"], ["shop.theirs.web.b.example.com.80"]],
    [["--ingress-class", "nobody"], []],
  ])("%j translates only that class's Ingresses", async (flags, routes) => {
    const run = await cli(["translate", "-f", "app.yaml", ...flags], dir);
    expect(run).toMatchObject({ code: 0, stderr: "" });
    expect(routeNames(run.stdout)).toEqual(routes);
  });
});

describe("kongress translate: exit 1", () => {
  it("reports an object problem on stderr and still prints the config without it", async () => {
    const dir = tree({
      "app.yaml": `${APP}---\n${ingressYaml({ name: "broken", host: "b.example.com", service: "missing" })}`,
    });
    const run = await cli(["translate", "-f", "app.yaml"], dir);
    expect(run.code).toBe(1);
    const lines = stderrLines(run);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^Ingress shop\/broken: ServiceNotFound: .*Service shop\/missing/);
    expect(routeNames(run.stdout)).toEqual(["shop.shop.web.shop.example.com.80"]);
  });

  it("reports an invalid object with its file and line, and translates the rest", async () => {
    const bad = `apiVersion: v1
kind: Service
metadata:
  name: bad
  namespace: shop
spec:
  ports:
    - port: "eighty"
`;
    const dir = tree({ "app.yaml": `${APP}---\n${bad}` });
    const run = await cli(["translate", "-f", "app.yaml"], dir);
    expect(run.code).toBe(1);
    expect(stderrLines(run)).toEqual([
      `Service shop/bad: InvalidObject: spec.ports[0].port: expected number, got string (app.yaml:${lineAfter(`${APP}---\n`)})`,
    ]);
    expect(routeNames(run.stdout)).toHaveLength(1);
  });

  it("reports a TLS Secret with garbage PEM on the Secret and the Ingress, and routes without TLS", async () => {
    const garbage = Buffer.from("-----BEGIN CERTIFICATE-----\nnot a certificate\n").toString(
      "base64",
    );
    const secret = `apiVersion: v1
kind: Secret
metadata:
  name: shop-tls
  namespace: shop
type: kubernetes.io/tls
data:
  tls.crt: ${garbage}
  tls.key: ${Buffer.from("garbage").toString("base64")}
`;
    const dir = tree({
      "app.yaml": [SERVICE, SLICE, ingressYaml({ tlsSecret: "shop-tls" }), secret].join("---\n"),
    });
    const run = await cli(["translate", "-f", "app.yaml"], dir);
    expect(run.code).toBe(1);
    const lines = stderrLines(run);
    expect(lines.filter(l => l.startsWith("Secret shop/shop-tls: "))).toHaveLength(1);
    expect(lines.filter(l => l.startsWith("Ingress shop/shop: "))).toHaveLength(1);
    expect(lines.every(l => l.includes("shop/shop-tls"))).toBe(true);
    const config = JSON.parse(run.stdout) as { certificates?: unknown[] };
    expect(config.certificates ?? []).toEqual([]);
    expect(routeNames(run.stdout)).toEqual(["shop.shop.web.shop.example.com.80"]);
  });

  it("warns every user of an expired certificate, and still prints it (Kong serves it)", async () => {
    // The examples' certificate is valid until 2036-11-19T09:43:19Z.
    const valid = await cli(["translate", "-f", "examples/"]);
    const run = await cli(["translate", "-f", "examples/"], undefined, Date.parse("2037-01-01"));
    expect(run.code).toBe(1);
    const expired =
      "CertificateExpired: TLS Secret shop/shop-tls: its certificate expired at 2036-11-19T09:43:19Z; Kong still serves it, and clients refuse it";
    expect(stderrLines(run).sort()).toEqual(
      [
        `Ingress shop/shop: ${expired}`,
        `Ingress shop/catalog-api: ${expired}`,
        `Gateway shop/kong: ${expired}`,
      ].sort(),
    );
    expect(run.stdout).toBe(valid.stdout);
  });

  it("keeps every problem on one line", async () => {
    const dir = tree({
      "app.yaml": `${APP}---\n${ingressYaml({ name: "x", host: "x.example.com", service: "gone" })}`,
    });
    const run = await cli(["translate", "-f", "app.yaml"], dir);
    expect(stderrLines(run).every(l => l.startsWith("Ingress shop/x: "))).toBe(true);
  });
});

describe("kongress translate: Gateway API", () => {
  const gateway = `apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata:
  name: kong
spec:
  controllerName: konghq.com/kic-gateway-controller
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: kong
  namespace: infra
spec:
  gatewayClassName: kong
  listeners:
    - name: tcp
      port: 9000
      protocol: TCP
---
apiVersion: v1
kind: Service
metadata:
  name: db
  namespace: infra
spec:
  ports:
    - port: 5432
`;
  const route = (sectionName: string) => `apiVersion: gateway.networking.k8s.io/v1alpha2
kind: TCPRoute
metadata:
  name: db
  namespace: infra
spec:
  parentRefs:
    - name: kong
      sectionName: ${sectionName}
  rules:
    - backendRefs:
        - name: db
          port: 5432
`;

  it("--status prints the config and the statuses the controller would write", async () => {
    const dir = tree({ "gw.yaml": `${gateway}---\n${route("tcp")}` });
    const run = await cli(["translate", "-f", "gw.yaml", "-o", "yaml", "--status"], dir);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const doc = parse(run.stdout) as {
      config: { services: { routes: { name: string }[] }[] };
      statuses: {
        kind: string;
        status: { parents?: { conditions: { type: string; status: string }[] }[] };
      }[];
    };
    expect(doc.config.services.flatMap(s => s.routes.map(r => r.name))).toEqual([
      "tcproute.infra.db.0.0",
    ]);
    const tcp = doc.statuses.find(s => s.kind === "TCPRoute");
    expect(tcp?.status.parents?.[0]?.conditions).toContainEqual(
      expect.objectContaining({ type: "Accepted", status: "True" }),
    );
  });

  it("fails a route that does not attach, saying why, and still prints the rest", async () => {
    const dir = tree({ "gw.yaml": `${gateway}---\n${route("nope")}` });
    const run = await cli(["translate", "-f", "gw.yaml"], dir);
    expect(run.code).toBe(1);
    expect(stderrLines(run)).toEqual([
      "TCPRoute infra/db: parent infra/kong: Accepted=False NoMatchingParent: no listener matches the parentRef's sectionName and port",
    ]);
    expect(routeNames(run.stdout)).toEqual([]);
  });
});

describe("kongress translate --router-flavor", () => {
  it("writes expression routes for an expressions Kong, traditional ones by default", async () => {
    const dir = tree({ "app.yaml": APP });
    const routesOf = (stdout: string) =>
      (parse(stdout) as { services: { routes: Record<string, unknown>[] }[] }).services.flatMap(
        s => s.routes,
      );
    const expressions = await cli(
      ["translate", "-f", "app.yaml", "--router-flavor", "expressions"],
      dir,
    );
    expect(expressions.code).toBe(0);
    const [route] = routesOf(expressions.stdout);
    expect(route).toMatchObject({ expression: expect.stringContaining("http.path") as unknown });
    expect(route).not.toHaveProperty("paths");
    const traditional = await cli(["translate", "-f", "app.yaml"], dir);
    const explicit = await cli(
      ["translate", "-f", "app.yaml", "--router-flavor", "traditional_compatible"],
      dir,
    );
    expect(explicit.stdout).toBe(traditional.stdout);
    expect(routesOf(traditional.stdout)[0]).toHaveProperty("paths");
  });
});
