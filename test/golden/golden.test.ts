/**
 * Golden tests for the translator (KIC's in.yaml / <variant>_golden.yaml layout, EG's config+status in one
 * file). Each directory under test/golden/ is a case:
 *   in.yaml                       Kubernetes objects (multi-document YAML, kubectl-appliable)
 *   <variant>.settings.yaml       optional TranslateOptions overrides; `default` always runs
 *   <variant>.golden.yaml         the expected { config, results }
 *   expressions.golden.yaml       always: the default variant's options for Kong's `expressions` router
 * To add a case: create the directory with in.yaml, run `npm run golden:update`, review the new golden file.
 */
import { readdirSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import {
  createTranslator,
  translate,
  DEFAULT_TRANSLATE_OPTIONS,
  type TranslateOptions,
} from "../../src/translator/index.ts";
import {
  validateDeclarativeConfig,
  DEFAULT_KONG_VALIDATION_OPTIONS,
  type RouterFlavor,
} from "../../src/kong/validate/index.ts";
import { offlineKongPlugins } from "../../src/cli/offline.ts";
import { encodeConfig } from "../../src/kong/admin-client.ts";
import type { KubeObject } from "../../src/model/k8s.ts";
import type { Snapshot } from "../../src/translator/types.ts";
import { goldenView, loadSnapshot, readDocuments } from "../support/golden.ts";

const root = import.meta.dirname;
const update = process.env["UPDATE_GOLDEN"] === "1";
const cases = readdirSync(root, { withFileTypes: true })
  .filter(d => d.isDirectory())
  .map(d => d.name)
  .sort();

interface Variant {
  readonly name: string;
  readonly options: TranslateOptions;
  readonly routerFlavor: RouterFlavor;
}

/**
 * `default` always runs, and `expressions` with the same options for Kong's expressions router (KIC's
 * ExpressionRoutes goldens); a `default.settings.yaml` gives both settings (a claim record, say).
 */
function variantsOf(dir: string): Variant[] {
  let base: TranslateOptions = DEFAULT_TRANSLATE_OPTIONS;
  const others: Variant[] = [];
  for (const file of readdirSync(dir).sort()) {
    const match = /^(.+)\.settings\.yaml$/.exec(file);
    if (match?.[1] === undefined) continue;
    const overrides = parse(readFileSync(join(dir, file), "utf8")) as Partial<TranslateOptions>;
    const options = { ...DEFAULT_TRANSLATE_OPTIONS, ...overrides };
    if (match[1] === "default") base = options;
    else others.push({ name: match[1], options, routerFlavor: "traditional_compatible" });
  }
  const variants: Variant[] = [
    { name: "default", options: base, routerFlavor: "traditional_compatible" },
    {
      name: "expressions",
      options: { ...base, routerFlavor: () => "expressions" },
      routerFlavor: "expressions",
    },
    ...others,
  ];
  return variants;
}

/** The snapshot without each of its objects in turn (same object identities: the memo's keys). */
function* everyObjectLeftOut(snapshot: Snapshot): Generator<Snapshot> {
  const lists = Object.keys(snapshot) as (keyof Snapshot)[];
  for (const list of lists) {
    for (const obj of snapshot[list] as readonly KubeObject[]) {
      yield {
        ...snapshot,
        [list]: (snapshot[list] as readonly KubeObject[]).filter(o => o !== obj),
      };
    }
  }
}

describe("translator golden cases", () => {
  it("has at least 25 cases", () => {
    expect(cases.length).toBeGreaterThanOrEqual(25);
  });

  describe.each(cases)("%s", name => {
    const dir = join(root, name);
    const documents = readDocuments(join(dir, "in.yaml"));

    it.each(variantsOf(dir))("$name", ({ name: variant, options, routerFlavor }) => {
      const result = translate(loadSnapshot(documents), options);
      const rendered = stringify(goldenView(result), { lineWidth: 0 });
      const goldenPath = join(dir, `${variant}.golden.yaml`);
      if (update) writeFileSync(goldenPath, rendered);
      expect(existsSync(goldenPath), `missing ${goldenPath}: run npm run golden:update`).toBe(true);
      expect(rendered).toBe(readFileSync(goldenPath, "utf8"));

      // Equal input gives byte-identical output, whatever order the objects arrive in.
      const reversed = translate(loadSnapshot([...documents].reverse()), options);
      expect(stringify(goldenView(reversed), { lineWidth: 0 })).toBe(rendered);

      // A memoising translator that saw each single-object removal first gives the same bytes.
      const snapshot = loadSnapshot(documents);
      const memoised = createTranslator(options);
      for (const leftOut of everyObjectLeftOut(snapshot)) memoised(leftOut);
      const incremental = memoised(snapshot);
      expect(stringify(goldenView(incremental), { lineWidth: 0 })).toBe(rendered);
      expect(encodeConfig(incremental.config).body).toBe(encodeConfig(result.config).body);

      // What we emit, Kong accepts: a Kong with the variant's plugins, or offline's assumption.
      const validation = validateDeclarativeConfig(result.config, {
        ...DEFAULT_KONG_VALIDATION_OPTIONS,
        enabledPlugins: Array.isArray(options.kongPlugins)
          ? new Set(options.kongPlugins)
          : offlineKongPlugins(result.config),
        routerFlavor,
      });
      expect(validation.ok ? [] : validation.error.flattened_errors).toEqual([]);
    });
  });
});
