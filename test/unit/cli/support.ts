import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { runCli } from "../../../src/cli/main.ts";

export const repoRoot = join(import.meta.dirname, "..", "..", "..");

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * The CLI's time in these tests: fixed, and inside the validity of every fixture certificate
 * (2026-11-22 to 2036 and later), so a certificate's dates say something only where a test means them to.
 */
export const FIXED_NOW = Date.parse("2027-01-01T00:00:00Z");

/** Runs `kongress <argv>` in-process, collecting both streams. */
export async function cli(
  argv: readonly string[],
  cwd: string = repoRoot,
  now: number = FIXED_NOW,
): Promise<CliRun> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli({
    argv,
    stdout: { write: (s: string) => out.push(s) },
    stderr: { write: (s: string) => err.push(s) },
    cwd,
    now: () => now,
  });
  return { code, stdout: out.join(""), stderr: err.join("") };
}

export function stderrLines(run: CliRun): string[] {
  return run.stderr.split("\n").filter(l => l !== "");
}

/** A temporary directory holding `files` (relative path → content); `cleanup` removes it. */
export function tempTree(files: Readonly<Record<string, string | Buffer>>): {
  dir: string;
  cleanup: () => void;
} {
  const dir = mkdtempSync(join(tmpdir(), "kongress-cli-"));
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  return {
    dir,
    cleanup: () => {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const SERVICE = `apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: shop
spec:
  ports:
    - name: http
      port: 80
      targetPort: 8080
`;

export const SLICE = `apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: web-1
  namespace: shop
  labels:
    kubernetes.io/service-name: web
addressType: IPv4
ports:
  - name: http
    port: 8080
endpoints:
  - addresses: ["10.0.0.1"]
    conditions: { ready: true }
`;

/** An Ingress of class `className` routing `host`/ to Service `service`. */
export function ingressYaml(opts: {
  name?: string;
  host?: string;
  service?: string;
  className?: string;
  tlsSecret?: string;
}): string {
  const host = opts.host ?? "shop.example.com";
  const tls =
    opts.tlsSecret === undefined
      ? ""
      : `  tls:\n    - hosts: ["${host}"]\n      secretName: ${opts.tlsSecret}\n`;
  return `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: ${opts.name ?? "shop"}
  namespace: shop
spec:
  ingressClassName: ${opts.className ?? "kong"}
${tls}  rules:
    - host: "${host}"
      http:
        paths:
          - path: /
            pathType: Prefix
            backend:
              service:
                name: ${opts.service ?? "web"}
                port:
                  number: 80
`;
}

export const INGRESS = ingressYaml({});

/** Service, EndpointSlice and Ingress as one multi-document stream. */
export const APP = [SERVICE, SLICE, INGRESS].join("---\n");

/** The names of the routes in a JSON config printed by `translate`. */
export function routeNames(stdout: string): string[] {
  const config = JSON.parse(stdout) as { services?: { routes?: { name: string }[] }[] };
  return (config.services ?? []).flatMap(s => (s.routes ?? []).map(r => r.name)).sort();
}
