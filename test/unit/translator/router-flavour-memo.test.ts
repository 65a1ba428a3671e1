/**
 * Kong's router's verdict on a route is remembered per route object (services.ts) and per router
 * flavour: a memoising translator whose Kongs switch flavour between two translations of one snapshot
 * (same route objects) gives exactly what a cold translation under the new flavour gives.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { RouterFlavor } from "../../../src/kong/validate/index.ts";
import { encodeConfig } from "../../../src/kong/admin-client.ts";
import {
  createTranslator,
  DEFAULT_TRANSLATE_OPTIONS,
  translate,
  type TranslateOptions,
} from "../../../src/translator/index.ts";
import { loadSnapshot, readDocuments } from "../../support/golden.ts";

const golden = (name: string) =>
  readDocuments(join(import.meta.dirname, "..", "..", "golden", name, "in.yaml"));

describe("the router verdict memo", () => {
  it.each(["expressions-inexpressible", "gateway-stream-routes", "httproute-inexpressible"])(
    "%s: a flavour switch between translations of one snapshot gives a cold translation's output",
    name => {
      const snapshot = loadSnapshot(golden(name));
      let flavour: RouterFlavor = "traditional_compatible";
      const options: TranslateOptions = {
        ...DEFAULT_TRANSLATE_OPTIONS,
        routerFlavor: () => flavour,
      };
      const memoised = createTranslator(options);
      const outputs: string[] = [];
      for (const next of [
        "traditional_compatible",
        "expressions",
        "traditional_compatible",
      ] as const) {
        flavour = next;
        const warm = memoised(snapshot);
        const cold = translate(snapshot, { ...options, routerFlavor: () => next });
        expect(encodeConfig(warm.config).body).toBe(encodeConfig(cold.config).body);
        expect(warm.results).toEqual(cold.results);
        expect(warm.gatewayApi.routes).toEqual(cold.gatewayApi.routes);
        outputs.push(encodeConfig(warm.config).body);
      }
      // The case shows something the expressions router cannot take: the flavours really differ.
      expect(outputs[1]).not.toBe(outputs[0]);
      expect(outputs[2]).toBe(outputs[0]);
    },
  );
});
