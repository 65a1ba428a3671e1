/**
 * Which objects a config over Kong's body limit leaves out: the largest contributors in bytes on the
 * wire, so a plugin whose config is multibyte text is weighed by its UTF-8 size, not its length in
 * JavaScript characters.
 */
import { describe, expect, it } from "vitest";
import { encodeConfig } from "../../../src/kong/admin-client.ts";
import { oversizeFailures } from "../../../src/sender/size-budget.ts";
import { clusterSnapshot, ing, svc, translate } from "./cluster.ts";

/** A KongPlugin whose response body is `message`, attached to the Ingress `name` in `default`. */
function terminating(name: string, message: string): unknown[] {
  const ingress = ing("default", name, [name]);
  return [
    svc("default", name),
    {
      ...ingress,
      metadata: { ...ingress.metadata, annotations: { "konghq.com/plugins": `${name}-reply` } },
    },
    {
      apiVersion: "configuration.konghq.com/v1",
      kind: "KongPlugin",
      metadata: { name: `${name}-reply`, namespace: "default", uid: `uid-${name}-reply` },
      plugin: "request-termination",
      config: { status_code: 200, message },
    },
  ];
}

describe("oversizeFailures", () => {
  it("leaves out the object with the most bytes (here the plugin that carries the text), counting multibyte text in bytes", () => {
    // 3,000 two-byte characters (6,000 bytes) against 4,500 one-byte ones.
    const snapshot = clusterSnapshot([
      ...terminating("accents", "é".repeat(3_000)),
      ...terminating("ascii", "a".repeat(4_500)),
    ]);
    const { config } = translate(snapshot);
    const body = encodeConfig(config).body;
    const total = Buffer.byteLength(body);
    // One object has to go, and leaving out the larger in bytes is enough.
    const failures = oversizeFailures(body, total - 5_000);
    expect(failures.map(f => f.ref?.name)).toEqual(["accents-reply"]);
  });
});
