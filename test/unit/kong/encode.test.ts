/**
 * ConfigEncoder against encodeConfig on configs built by the translator: large enough that the md5 is
 * resumed from saved states in the middle of the body, with changes at the start, middle and end.
 */
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { ConfigEncoder, encodeConfig } from "../../../src/kong/admin-client.ts";
import type { Ingress, KubeObject, Service } from "../../../src/model/k8s.ts";
import { buildSnapshot } from "../../../src/model/snapshot.ts";
import { createTranslator, DEFAULT_TRANSLATE_OPTIONS } from "../../../src/translator/index.ts";

function app(i: number, path = "/"): KubeObject[] {
  const name = `app-${String(i).padStart(4, "0")}`;
  const service: Service = {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name, namespace: "shop", uid: `u-s-${name}` },
    spec: { ports: [{ port: 80, protocol: "TCP" }] },
  };
  const ingress: Ingress = {
    apiVersion: "networking.k8s.io/v1",
    kind: "Ingress",
    metadata: { name, namespace: "shop", uid: `u-i-${name}` },
    spec: {
      ingressClassName: "kong",
      rules: [
        {
          host: `${name}.example.com`,
          http: {
            paths: [
              {
                path,
                pathType: "Prefix",
                backend: { service: { name, port: { number: 80 } } },
              },
            ],
          },
        },
      ],
    },
  };
  return [service, ingress];
}

describe("ConfigEncoder", () => {
  it("gives encodeConfig's bytes and hash after changes anywhere in a large body", () => {
    const apps = Array.from({ length: 600 }, (_, i) => app(i));
    const translate = createTranslator(DEFAULT_TRANSLATE_OPTIONS);
    const encoder = new ConfigEncoder();
    const check = (): void => {
      const { config } = translate(buildSnapshot(apps.flat()));
      const encoded = encoder.encode(config);
      expect(encoded).toEqual(encodeConfig(config));
      // What is sent is the body's UTF-8 bytes, and its md5 is the hash Kong will report.
      const body = encoded.body;
      expect(Buffer.concat(encoded.chunks ?? []).equals(Buffer.from(body, "utf8"))).toBe(true);
      expect(encoded.bytes).toBe(Buffer.byteLength(body));
      expect(encoded.hash).toBe(createHash("md5").update(body).digest("hex"));
    };
    check();
    for (const [step, i] of [599, 0, 300, 257, 256, 255, 128, 599, 599].entries()) {
      apps[i] = app(i, `/v${step}`);
      check();
    }
    // Entities lost or added at the very end only.
    apps.pop();
    check();
    apps.splice(-40, 40);
    check();
    apps.push(app(2000));
    check();
    // Fewer entities, then more again.
    apps.splice(400, 150);
    check();
    apps.push(...Array.from({ length: 200 }, (_, i) => app(1000 + i)));
    check();
    check();
  });
});
