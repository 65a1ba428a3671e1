/**
 * The real executable, as `npx kongress` runs it: a child process on the same Node (24) that runs the
 * tests, so the shebang entry, the TypeScript sources and the exit status are all exercised.
 */
import { spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { APP, repoRoot, tempTree } from "./support.ts";

interface ProcessRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function kongress(args: readonly string[], cwd = repoRoot): Promise<ProcessRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(repoRoot, "bin", "kongress.js"), ...args], {
      cwd,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (b: Buffer) => out.push(b));
    child.stderr.on("data", (b: Buffer) => err.push(b));
    child.on("error", reject);
    child.on("close", code => {
      resolve({
        code,
        stdout: Buffer.concat(out).toString("utf8"),
        stderr: Buffer.concat(err).toString("utf8"),
      });
    });
  });
}

const { dir, cleanup } = tempTree({
  "broken.yaml": `${APP}---\napiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: lost\n  namespace: shop\nspec:\n  ingressClassName: kong\n  defaultBackend:\n    service:\n      name: gone\n      port: { number: 80 }\n`,
  "invalid.yaml": "a: [\n",
});
afterAll(cleanup);

describe("bin/kongress.js", () => {
  it("--version prints the package version and exits 0", async () => {
    const pkg = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as {
      version: string;
    };
    expect(await kongress(["--version"])).toEqual({
      code: 0,
      stdout: `${pkg.version}\n`,
      stderr: "",
    });
  });

  it("translate -f examples/ (npm start) prints JSON and exits 0", async () => {
    const run = await kongress(["translate", "-f", "examples/"]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toHaveProperty("_format_version", "3.0");
  });

  it("exits 1 with the config on stdout when an object has a problem", async () => {
    const run = await kongress(["translate", "-f", "broken.yaml", "-o", "yaml"], dir);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^Ingress shop\/lost: /);
    expect(run.stdout).toMatch(/^_format_version: "3.0"\n/);
  });

  it("exits 2 for a parse error, with one line and no stack trace", async () => {
    const run = await kongress(["validate", "-f", "invalid.yaml"], dir);
    expect(run).toMatchObject({ code: 2, stdout: "" });
    expect(run.stderr).toMatch(/^kongress validate: invalid\.yaml:\d+: [^\n]+\n$/);
  });

  it("exits 2 for a usage error", async () => {
    const run = await kongress(["translate", "--nope"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("Run 'kongress translate --help' for usage.");
  });

  it("writes a large config completely through a pipe", async () => {
    const many = Array.from({ length: 300 }, (_, i) =>
      APP.replaceAll("name: web", `name: web-${i}`)
        .replaceAll("name: shop\n", `name: shop-${i}\n`)
        .replace("shop.example.com", `s${i}.example.com`)
        .replace("service-name: web", `service-name: web-${i}`),
    );
    writeFileSync(join(dir, "many.yaml"), many.join("---\n"));
    const run = await kongress(["translate", "-f", "many.yaml"], dir);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const config = JSON.parse(run.stdout) as { services: unknown[] };
    expect(config.services).toHaveLength(300);
  });
});
