import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { encodeConfig } from "../../../src/kong/admin-client.ts";
import { REDACTED } from "../../../src/kong/redact.ts";
import type { ObjectRef } from "../../../src/model/object-ref.ts";
import { ConfigDumps } from "../../../src/runtime/config-dumps.ts";
import type { GatewayState, SenderView } from "../../../src/sender/gateway-state.ts";
import { DEFAULT_TRANSLATE_OPTIONS, translate } from "../../../src/translator/index.ts";
import { loadSnapshot, readDocuments } from "../../support/golden.ts";

/** A config with a certificate and its private key, as the translator builds it. */
const RESULT = translate(
  loadSnapshot(readDocuments(join(import.meta.dirname, "../../golden/tls-basic/in.yaml"))),
  DEFAULT_TRANSLATE_OPTIONS,
);
const HASH = encodeConfig(RESULT.config).hash;
const KEY = RESULT.config.certificates?.[0]?.key ?? "";
const INGRESS: ObjectRef = {
  group: "networking.k8s.io",
  version: "v1",
  kind: "Ingress",
  namespace: "default",
  name: "shop",
};

function view(gateway: Partial<GatewayState>, messages: string[] = []): SenderView {
  return {
    gateways: [
      { url: "http://kong:8001", phase: "synced", since: 0, config: "primary", ...gateway },
    ],
    acceptedObjects: new Map(),
    rejectedObjects: messages.length === 0 ? [] : [{ ref: INGRESS, messages }],
  };
}

function dumpsAfterSync(sensitive: boolean): ConfigDumps {
  const dumps = new ConfigDumps({ sensitive });
  dumps.translated(RESULT);
  dumps.viewChanged(view({ hash: HASH }));
  return dumps;
}

describe("ConfigDumps", () => {
  it("has a private key to hide in its input", () => {
    expect(KEY).toContain("PRIVATE KEY");
  });

  it("serves the config Kong accepted redacted, under the hash it was sent with", () => {
    const dump = dumpsAfterSync(false).successful();
    expect(dump?.hash).toBe(HASH);
    const text = JSON.stringify(dump?.config);
    expect(text).not.toContain("PRIVATE KEY");
    expect((dump?.config as typeof RESULT.config).certificates?.[0]?.key).toBe(REDACTED);
  });

  it("serves it as it is with --dump-sensitive-config", () => {
    expect(dumpsAfterSync(true).successful()?.config).toBe(RESULT.config);
  });

  it("scrubs secrets Kong quoted from the fallback report", () => {
    const dumps = new ConfigDumps({ sensitive: false });
    dumps.translated(RESULT);
    const quoted = `certificate: invalid key: ${KEY}`;
    dumps.viewChanged(
      view({ hash: "other", degraded: { code: "ERR_KONG_REJECTED", reason: quoted } }, [quoted]),
    );
    const report = JSON.stringify(dumps.fallback());
    expect(report).not.toContain("PRIVATE KEY");
    expect(report).toContain(`certificate: invalid key: ${REDACTED}`);
    expect(JSON.stringify(dumps.failed()?.config)).not.toContain("PRIVATE KEY");
  });

  it("cuts any private key out of every string of the fallback report", () => {
    const dumps = new ConfigDumps({ sensitive: false });
    dumps.translated(RESULT);
    const stranger = "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIB\n-----END EC PRIVATE KEY-----";
    dumps.viewChanged(
      view({ hash: "other", degraded: { code: stranger, reason: "rejected" } }, [
        `got ${stranger}`,
      ]),
    );
    const report = JSON.stringify(dumps.fallback());
    expect(report).not.toContain("MHcCAQEEIB");
    expect(report).toContain(`got ${REDACTED}`);
  });
});
