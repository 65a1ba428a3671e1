import { symlinkSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { listManifestFiles, loadManifests } from "../../../src/cli/load-manifests.ts";
import { ManifestError } from "../../../src/errors.ts";
import { SERVICE, tempTree } from "./support.ts";

const trees: (() => void)[] = [];
afterAll(() => {
  for (const cleanup of trees) cleanup();
});

function tree(files: Readonly<Record<string, string>>): string {
  const t = tempTree(files);
  trees.push(t.cleanup);
  return t.dir;
}

describe("listManifestFiles", () => {
  it("walks directories in code-unit order, keeping manifest extensions only", async () => {
    const dir = tree({
      "m/b.yaml": "",
      "m/B.yml": "",
      "m/a/z.json": "",
      "m/a/y.YAML": "",
      "m/a.txt": "",
      "m/c/.hidden.yaml": "",
      "m/d/e/f/deep.yml": "",
      "other.conf": "",
    });
    expect(await listManifestFiles(["m", "other.conf"], dir)).toEqual([
      "m/B.yml",
      "m/a/y.YAML",
      "m/a/z.json",
      "m/b.yaml",
      "m/c/.hidden.yaml",
      "m/d/e/f/deep.yml",
      "other.conf",
    ]);
  });

  it("follows symbolic links to directories once, even in a loop", async () => {
    const dir = tree({ "m/one.yaml": "", "m/sub/two.yaml": "" });
    symlinkSync(join(dir, "m"), join(dir, "m/sub/loop"));
    expect(await listManifestFiles(["m"], dir)).toEqual(["m/one.yaml", "m/sub/two.yaml"]);
  });

  it("does not follow symbolic links out of the directory it reads", async () => {
    const dir = tree({ "m/one.yaml": "", "secret/other.yaml": "", "secret/sub/x.yaml": "" });
    symlinkSync(join(dir, "secret/other.yaml"), join(dir, "m/file-out.yaml"));
    symlinkSync(join(dir, "secret/sub"), join(dir, "m/dir-out"));
    symlinkSync(join(dir, "m/one.yaml"), join(dir, "m/inside.yaml"));
    expect(await listManifestFiles(["m"], dir)).toEqual(["m/inside.yaml", "m/one.yaml"]);
  });

  it("accepts absolute paths", async () => {
    const dir = tree({ "x.yaml": "" });
    expect(await listManifestFiles([join(dir, "x.yaml")], "/")).toEqual([join(dir, "x.yaml")]);
  });

  it("throws a ManifestError naming the path", async () => {
    const dir = tree({});
    const error = await listManifestFiles(["nope"], dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ManifestError);
    expect(error).toMatchObject({ code: "ERR_MANIFEST", file: "nope", line: undefined });
  });
});

describe("loadManifests", () => {
  const dir = tree({
    "multi.yaml": `# leading comment\n---\n${SERVICE}---\n\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: c\n`,
    "list.yaml": `apiVersion: v1
kind: List
items:
  - apiVersion: v1
    kind: Secret
    metadata: { name: s, namespace: a }
    stringData: { k: v }

  - apiVersion: v1
    kind: Secret
    metadata: { name: bad, namespace: a }
    data: { k: "***" }
`,
    "typed.json": JSON.stringify(
      {
        apiVersion: "networking.k8s.io/v1",
        kind: "IngressClassList",
        items: [{ metadata: { name: "kong" }, spec: { controller: "c" } }],
      },
      null,
      2,
    ),
  });

  it("gives each object, invalid object and skipped object its file and line", async () => {
    const loaded = await loadManifests(["."], { cwd: dir });
    expect(
      loaded.objects.map(o => [
        o.object.kind,
        o.object.metadata.name,
        o.source.file,
        o.source.line,
      ]),
    ).toEqual([
      ["Secret", "s", "list.yaml", 4],
      ["Service", "web", "multi.yaml", 3],
      ["IngressClass", "kong", "typed.json", 5],
    ]);
    expect(loaded.invalid).toEqual([
      {
        kind: "Secret",
        namespace: "a",
        name: "bad",
        reason: "data.k: expected base64",
        source: { file: "list.yaml", line: 9 },
      },
    ]);
    expect(loaded.skipped).toEqual([
      {
        ok: "unsupported",
        apiVersion: "v1",
        kind: "Pod",
        namespace: "",
        name: "c",
        source: { file: "multi.yaml", line: 16 },
      },
    ]);
  });

  it("returns objects as the model parser normalises them", async () => {
    const loaded = await loadManifests(["list.yaml"], { cwd: dir });
    expect(loaded.objects[0]?.object).toEqual({
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "s", namespace: "a" },
      data: { k: "dg==" },
    });
  });

  it("refuses a file over maxFileBytes", async () => {
    await expect(loadManifests(["multi.yaml"], { cwd: dir, maxFileBytes: 10 })).rejects.toThrow(
      /^multi\.yaml: \d+ bytes is over the 10-byte limit for a manifest file$/,
    );
  });

  it("applies the YAML limits it is given", async () => {
    const limits = { maxNesting: 100, maxValues: 3 };
    await expect(loadManifests(["multi.yaml"], { cwd: dir, yamlLimits: limits })).rejects.toThrow(
      /^multi\.yaml:\d+: more than 3 values/,
    );
  });
});

describe("loadManifests budgets per run", () => {
  it("refuses more bytes over all files than one run may read", async () => {
    const dir = tree({ "m/a.yaml": SERVICE, "m/b.yaml": SERVICE });
    const error = await loadManifests(["m"], {
      cwd: dir,
      maxTotalBytes: Buffer.byteLength(SERVICE) + 1,
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "ERR_MANIFEST", file: "m/b.yaml" });
    expect((error as Error).message).toContain("limit for one run");
  });

  it("counts values over all files, not only per file", async () => {
    const dir = tree({ "m/a.yaml": SERVICE, "m/b.yaml": SERVICE });
    const one = await loadManifests(["m/a.yaml"], { cwd: dir });
    expect(one.objects).toHaveLength(1);
    const error = await loadManifests(["m"], { cwd: dir, maxTotalValues: 25 }).catch(
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: "ERR_MANIFEST", file: "m/b.yaml" });
  });
});
