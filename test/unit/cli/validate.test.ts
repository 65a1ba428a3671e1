import { afterAll, describe, expect, it } from "vitest";
import { APP, cli, ingressYaml, SERVICE, SLICE, stderrLines, tempTree } from "./support.ts";

const { dir, cleanup } = tempTree({
  "app.yaml": APP,
  "kong-rejects.yaml": [SERVICE, SLICE, ingressYaml({ host: "a..example.com" })].join("---\n"),
  "translation-problem.yaml": `${APP}---\n${ingressYaml({ name: "lost", host: "l.example.com", service: "gone" })}`,
  "kong-rules.yaml": [
    SERVICE.replace(
      "  namespace: shop\n",
      "  namespace: shop\n  annotations:\n    konghq.com/path: /api?v=1\n",
    ),
    SLICE,
    ingressYaml({}),
    ingressYaml({ name: "escaped", host: "e.example.com" }).replace(
      "path: /\n            pathType: Prefix",
      "path: /a%2fb\n            pathType: ImplementationSpecific",
    ),
  ].join("---\n"),
  "custom-plugin.yaml": [
    SERVICE,
    SLICE,
    ingressYaml({}).replace(
      "  namespace: shop\n",
      "  namespace: shop\n  annotations:\n    konghq.com/plugins: team-header\n",
    ),
    "apiVersion: configuration.konghq.com/v1\nkind: KongPlugin\nmetadata:\n  name: team-header\n  namespace: shop\nplugin: my-header\nconfig:\n  header_name: X-Team\n",
  ].join("---\n"),
  "with-pod.yaml": `${APP}---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: c\n  namespace: shop\n`,
});
afterAll(cleanup);

describe("kongress validate", () => {
  it.each([["traditional"], ["traditional_compatible"], ["expressions"]])(
    "accepts the examples with the %s router, with a summary on stdout",
    async flavor => {
      const run = await cli(["validate", "-f", "examples", "--router-flavor", flavor]);
      expect(run.stderr).toBe("");
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(
        /^valid: \d+ services, \d+ routes, \d+ upstreams, \d+ targets, 1 certificate\n$/,
      );
    },
  );

  it("counts what it checked", async () => {
    const run = await cli(["validate", "-f", "app.yaml"], dir);
    expect(run).toEqual({
      code: 0,
      stdout: "valid: 1 service, 1 route, 1 upstream, 1 target, 0 certificates\n",
      stderr: "",
    });
  });

  it("exits 1 with Kong's own words for a config Kong would reject", async () => {
    const run = await cli(["validate", "-f", "kong-rejects.yaml"], dir);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe("");
    expect(stderrLines(run)).toEqual([
      "route shop.shop.web.a..example.com.80 (Ingress/shop/shop): hosts.1: invalid hostname: a..example.com",
    ]);
  });

  it("translate prints that config and exits 0: only validate applies Kong's rules", async () => {
    const run = await cli(["translate", "-f", "kong-rejects.yaml"], dir);
    expect(run).toMatchObject({ code: 0, stderr: "" });
  });

  it("exits 1 for a translation problem, one line per problem", async () => {
    const run = await cli(["validate", "-f", "translation-problem.yaml"], dir);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe("");
    const lines = stderrLines(run);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^Ingress shop\/lost: ServiceNotFound: /);
  });

  it("reports what Kong's rules refuse per path and per annotation, in Kong's words", async () => {
    const run = await cli(["validate", "-f", "kong-rules.yaml"], dir);
    expect(run.code).toBe(1);
    expect(stderrLines(run)).toEqual([
      `Ingress shop/escaped: InvalidPath: spec.rules[0].http.paths[0]: Kong refuses path "/a%2fb": non-normalized path, consider use '/a%2Fb' instead; the path is not routed`,
      `Service shop/web: InvalidAnnotation: annotation konghq.com/path: "/api?v=1" is not valid (Kong refuses it: invalid path: '/api?v=1' (characters outside of the reserved list of RFC 3986 found)); the annotation is ignored`,
    ]);
  });

  it.each([["validate"], ["translate"]])(
    "%s accepts a plugin Kong does not bundle, with a note that its config was not checked",
    async command => {
      const run = await cli([command, "-f", "custom-plugin.yaml"], dir);
      expect(run.code).toBe(0);
      expect(stderrLines(run)).toEqual([
        expect.stringMatching(
          /^note: custom-plugin\.yaml:\d+: KongPlugin shop\/team-header: plugin my-header is not one of Kong's bundled plugins: its config was not checked /,
        ),
      ]);
      if (command === "translate")
        expect(
          (JSON.parse(run.stdout) as { plugins?: { name: string }[] }).plugins?.map(p => p.name),
        ).toEqual(["my-header"]);
      else expect(run.stdout).toMatch(/^valid: 1 service, 1 route/);
    },
  );

  it("notes objects of other kinds and still exits 0", async () => {
    const run = await cli(["validate", "-f", "with-pod.yaml"], dir);
    expect(run.code).toBe(0);
    expect(stderrLines(run)).toEqual([
      expect.stringMatching(/^note: with-pod\.yaml:\d+: ignoring v1 Pod shop\/c /),
    ]);
  });
});
