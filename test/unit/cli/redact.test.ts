import { readFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { REDACTED } from "../../../src/kong/redact.ts";
import { cli, ingressYaml, SERVICE, SLICE, tempTree } from "./support.ts";

const fixture = (name: string): string =>
  readFileSync(new URL(`../../fixtures/certs/${name}`, import.meta.url), "utf8");
const b64 = (text: string): string => Buffer.from(text).toString("base64");

const TLS_SECRET = `apiVersion: v1
kind: Secret
metadata:
  name: shop-tls
  namespace: shop
type: kubernetes.io/tls
data:
  tls.crt: ${b64(fixture("shop.crt"))}
  tls.key: ${b64(fixture("shop.key"))}
`;

const cleanups: (() => void)[] = [];
afterAll(() => {
  for (const cleanup of cleanups) cleanup();
});

function manifests(): string {
  const t = tempTree({
    "app.yaml": [SERVICE, SLICE, ingressYaml({ tlsSecret: "shop-tls" }), TLS_SECRET].join("---\n"),
  });
  cleanups.push(t.cleanup);
  return t.dir;
}

interface Printed {
  certificates: { cert: string; key: string }[];
}

describe("kongress translate --redact", () => {
  const dir = manifests();

  it("prints the private key without the flag (stdout is the config itself)", async () => {
    const run = await cli(["translate", "-f", dir]);
    expect(run.code).toBe(0);
    expect((JSON.parse(run.stdout) as Printed).certificates[0]?.key).toContain("PRIVATE KEY");
  });

  it.each([["json"], ["yaml"]])("replaces every secret with the marker in %s", async format => {
    const run = await cli(["translate", "-f", dir, "--redact", "-o", format]);
    expect(run.code).toBe(0);
    expect(run.stdout).not.toContain("PRIVATE KEY");
    const printed = parse(run.stdout) as Printed;
    expect(printed.certificates[0]?.key).toBe(REDACTED);
    expect(printed.certificates[0]?.cert).toContain("BEGIN CERTIFICATE");
  });

  it("redacts the config inside --status output too", async () => {
    const run = await cli(["translate", "-f", dir, "--redact", "--status"]);
    expect(run.code).toBe(0);
    expect(run.stdout).not.toContain("PRIVATE KEY");
    const printed = JSON.parse(run.stdout) as { config: Printed; statuses: unknown };
    expect(Object.keys(printed).sort()).toEqual(["config", "statuses"]);
    expect(printed.config.certificates[0]?.key).toBe(REDACTED);
    expect(printed.config.certificates[0]?.cert).toContain("BEGIN CERTIFICATE");
    // The manifests hold no Gateway API objects, so there are no statuses to decide.
    expect(printed.statuses).toEqual([]);
  });

  it("is listed in the help", async () => {
    const run = await cli(["translate", "--help"]);
    expect(run.stdout).toContain("--redact");
  });
});
