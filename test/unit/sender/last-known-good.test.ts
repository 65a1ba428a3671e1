import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { candidateFromDump, candidateOf, runs } from "../../../src/sender/last-known-good.ts";
import { EMPTY_CONFIG_HASH } from "../../../src/kong/types.ts";
import { ConfigEncoder, encodeConfig } from "../../../src/kong/admin-client.ts";
import { objectsInConfig } from "../../../src/kong/flattened-errors.ts";
import type { Ingress, IngressClass, Service } from "../../../src/model/k8s.ts";
import { buildSnapshot } from "../../../src/model/snapshot.ts";
import { DEFAULT_TRANSLATE_OPTIONS, translate } from "../../../src/translator/index.ts";

const KONG_HASH = "feedfacefeedfacefeedfacefeedface";

const dump = `_format_version: "3.0"
_transform: false
services:
- id: 0855b320-0dd2-547d-891d-601e9b38647f
  name: shop.web.80
  host: web.shop.80.svc
  port: 80
  protocol: http
  tags:
  - k8s-name:web
  - k8s-namespace:shop
  - k8s-kind:Service
  - k8s-version:v1
routes:
- name: shop.a.web.80..
  service: 0855b320-0dd2-547d-891d-601e9b38647f
  paths: [/a]
  tags: [k8s-name:a, k8s-namespace:shop, k8s-kind:Ingress, k8s-group:networking.k8s.io, k8s-version:v1]
`;

describe("candidateFromDump", () => {
  it("reads the objects of Kong's YAML dump and knows Kong's hash for it", () => {
    const candidate = candidateFromDump(dump, KONG_HASH);
    expect(candidate?.origin).toBe("kong");
    expect([...(candidate?.objects.keys() ?? [])].sort()).toEqual([
      "Ingress/shop/a",
      "Service/shop/web",
    ]);
    expect(candidate?.encoded.body).toBe(dump);
    expect(candidate?.encoded.hash).toBe(createHash("md5").update(dump).digest("hex"));
    expect(runs(candidate!, KONG_HASH)).toBe(true);
    expect(runs(candidate!, candidate!.encoded.hash)).toBe(true);
    expect(runs(candidate!, EMPTY_CONFIG_HASH)).toBe(false);
  });

  it.each([
    ["not YAML", "services: [unclosed"],
    ["a scalar", "hello"],
    ["no format version", "services: []"],
  ])("gives up on %s", (_name, text) => {
    expect(candidateFromDump(text, KONG_HASH)).toBeUndefined();
  });
});

describe("candidateOf", () => {
  const snapshot = buildSnapshot([
    {
      apiVersion: "networking.k8s.io/v1",
      kind: "IngressClass",
      metadata: { name: "kong", uid: "u-class" },
      spec: { controller: "ingress-controllers.konghq.com/kong" },
    } as IngressClass,
    {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "web", namespace: "shop", uid: "u-web" },
      spec: { ports: [{ port: 80, protocol: "TCP" }] },
    } as Service,
    {
      apiVersion: "networking.k8s.io/v1",
      kind: "Ingress",
      metadata: { name: "a", namespace: "shop", uid: "u-a" },
      spec: {
        ingressClassName: "kong",
        rules: [
          {
            http: {
              paths: [
                {
                  path: "/a",
                  pathType: "Prefix",
                  backend: { service: { name: "web", port: { number: 80 } } },
                },
              ],
            },
          },
        ],
      },
    } as Ingress,
    {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "unused", namespace: "shop", uid: "u-unused" },
      spec: { ports: [{ port: 80, protocol: "TCP" }] },
    } as Service,
  ]);
  const result = translate(snapshot, DEFAULT_TRANSLATE_OPTIONS);

  it("holds the objects whose translation contributed, as the config's tags name them", () => {
    // Our IngressClass is translated (it is ours) but no entity carries it.
    expect(result.results.find(r => r.ref.kind === "IngressClass")?.outcome).toBe("translated");
    const candidate = candidateOf(result, "primary");
    expect([...candidate.objects.keys()].sort()).toEqual(["Ingress/shop/a", "Service/shop/web"]);
    expect([...candidate.objects.keys()].sort()).toEqual(
      [...objectsInConfig(result.config).keys()].sort(),
    );
    expect(runs(candidate, undefined)).toBe(false);
  });

  it("encodes exactly as encodeConfig does, also through a shared encoder", () => {
    const encoder = new ConfigEncoder();
    expect(candidateOf(result, "primary", encoder).encoded).toEqual(encodeConfig(result.config));
    expect(candidateOf(result, "fallback", encoder).encoded).toEqual(encodeConfig(result.config));
  });
});
