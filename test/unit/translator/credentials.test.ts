/**
 * Credential Secrets judged by Kong's own credential schemas (src/kong/validate): per type, what is
 * sent, what Kong would refuse (with its message), and what that costs the consumer.
 */
import { describe, expect, it } from "vitest";
import { BUNDLED_PLUGINS } from "../../../src/kong/validate/index.ts";
import type { Secret } from "../../../src/model/k8s.ts";
import { readCredential } from "../../../src/translator/credentials.ts";
import {
  createTranslator,
  DEFAULT_TRANSLATE_OPTIONS,
  translate,
  TranslationMemo,
} from "../../../src/translator/index.ts";
import { loadSnapshot } from "../../support/golden.ts";

const GROUP = "configuration.konghq.com";

const PUBLIC_KEY = `-----BEGIN PUBLIC KEY-----
MCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=
-----END PUBLIC KEY-----`;

function secretDoc(type: string | undefined, data: Record<string, string>, name = "cred") {
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: {
      name,
      namespace: "default",
      ...(type === undefined ? {} : { labels: { "konghq.com/credential": type } }),
    },
    stringData: data,
  };
}

/** The Secret as the store hands it out (stringData encoded into data). */
function secret(type: string | undefined, data: Record<string, string>): Secret {
  const [only] = loadSnapshot([secretDoc(type, data)]).secrets;
  if (only === undefined) throw new Error("no Secret loaded");
  return only;
}

interface Row {
  readonly type: string;
  readonly data: Record<string, string>;
  /** The fields sent, or Kong's message when it would refuse the credential. */
  readonly sent?: Record<string, unknown>;
  readonly refused?: string;
}

const rows: readonly Row[] = [
  { type: "key-auth", data: { key: "k1" }, sent: { key: "k1" } },
  { type: "key-auth", data: { key: "k1", ttl: " 60 " }, sent: { key: "k1", ttl: 60 } },
  { type: "key-auth", data: { key: "k1", ttl: "soon" }, refused: "ttl: expected an integer" },
  { type: "key-auth", data: { ttl: "60" }, refused: "no key" },
  { type: "key-auth", data: { key: "k1", id: "x" }, refused: "id: expected a valid UUID" },
  { type: "key-auth", data: { key: "k1", other: "ignored" }, sent: { key: "k1" } },
  {
    type: "basic-auth",
    data: { username: "u", password: "p" },
    sent: { username: "u", password: "p" },
  },
  { type: "basic-auth", data: { username: "u" }, refused: "password: required field missing" },
  { type: "basic-auth", data: { password: "p" }, refused: "username: required field missing" },
  {
    type: "jwt",
    data: { key: "iss", secret: "s" },
    sent: { key: "iss", secret: "s", algorithm: "HS256" },
  },
  {
    type: "jwt",
    data: { key: "iss", algorithm: "EdDSA", rsa_public_key: PUBLIC_KEY },
    sent: { key: "iss", algorithm: "EdDSA", rsa_public_key: PUBLIC_KEY },
  },
  {
    type: "jwt",
    data: { key: "iss", algorithm: "RS256" },
    refused: "rsa_public_key: required field missing",
  },
  {
    type: "jwt",
    data: { key: "iss", algorithm: "RS256", rsa_public_key: "nope" },
    refused: "rsa_public_key: invalid key",
  },
  { type: "jwt", data: { key: "iss", algorithm: "HS1024" }, refused: "algorithm: expected one of" },
  { type: "jwt", data: { secret: "s" }, refused: "no key" },
  { type: "hmac-auth", data: { username: "u", secret: "s" }, sent: { username: "u", secret: "s" } },
  { type: "hmac-auth", data: { username: "u" }, sent: { username: "u" } },
  { type: "hmac-auth", data: { secret: "s" }, refused: "username: required field missing" },
  { type: "hmac-auth", data: { username: "u", secret: "" }, refused: "secret: length must be" },
  { type: "acl", data: { group: "admins" }, sent: { group: "admins" } },
  { type: "acl", data: {}, refused: "group: required field missing" },
  { type: "acl", data: { group: "" }, refused: "group: length must be at least 1" },
  {
    type: "oauth2",
    data: {
      name: "app",
      client_id: "c",
      client_secret: "s",
      redirect_uris: "https://a.example.com/cb, https://b.example.com/cb",
      hash_secret: "true",
    },
    sent: {
      name: "app",
      client_id: "c",
      client_secret: "s",
      redirect_uris: ["https://a.example.com/cb", "https://b.example.com/cb"],
      hash_secret: true,
    },
  },
  { type: "oauth2", data: { client_id: "c" }, refused: "name: required field missing" },
  { type: "oauth2", data: { name: "app" }, refused: "no client_id" },
  {
    type: "oauth2",
    data: { name: "app", client_id: "c", hash_secret: "yes" },
    refused: "hash_secret: expected a boolean",
  },
  {
    type: "oauth2",
    data: { name: "app", client_id: "c", client_type: "private" },
    refused: "client_type: expected one of: confidential, public",
  },
  {
    type: "oauth2",
    data: { name: "app", client_id: "c", redirect_uris: "https://a.example.com/#frag" },
    refused: "redirect_uris.1: fragment not allowed in '{vault://redacted-value}'",
  },
  {
    type: "mtls-auth",
    data: { subject_name: "client.example.com" },
    refused: "Kong does not have enabled (a Kong Enterprise plugin",
  },
];

describe("credentials are judged by Kong's credential schemas", () => {
  it.each(rows)("$type $data", ({ type, data, sent, refused }) => {
    const read = readCredential(secret(type, data));
    if (sent !== undefined) {
      expect(read).toEqual({ ok: true, type, fields: sent });
      return;
    }
    expect(read.ok).toBe(false);
    expect(read.ok ? "" : read.message).toContain(refused);
    expect(read.ok ? undefined : read.type).toBe(type);
  });

  it("mtls-auth is read when Kong has the plugin (Kong Enterprise)", () => {
    const enabled = new Set([...BUNDLED_PLUGINS, "mtls-auth"]);
    const read = readCredential(
      secret("mtls-auth", { subject_name: "client.example.com" }),
      enabled,
    );
    expect(read).toEqual({
      ok: true,
      type: "mtls-auth",
      fields: { subject_name: "client.example.com" },
    });
  });

  it("a credential whose plugin Kong does not have is refused", () => {
    const enabled = new Set(BUNDLED_PLUGINS.filter(p => p !== "basic-auth"));
    const read = readCredential(secret("basic-auth", { username: "u", password: "p" }), enabled);
    expect(read).toEqual({
      ok: false,
      type: "basic-auth",
      message:
        "basic-auth credentials need the basic-auth plugin, which Kong does not have enabled",
    });
  });

  it.each([
    [undefined, "the Secret has no konghq.com/credential label"],
    ["key_auth", 'unsupported credential type: "key_auth"'],
  ])("a Secret labelled %s does not say which credential it is", (label, message) => {
    expect(readCredential(secret(label, { key: "k" }))).toEqual({ ok: false, message });
  });

  it("never repeats a Secret value in a message", () => {
    const read = readCredential(
      secret("oauth2", { name: "app", client_id: "c", redirect_uris: "hunter2-not-a-uri" }),
    );
    expect(read.ok ? "" : read.message).not.toContain("hunter2");
  });
});

function consumerDoc(name: string, credentials: readonly string[]) {
  return {
    apiVersion: `${GROUP}/v1`,
    kind: "KongConsumer",
    metadata: { name, namespace: "default" },
    username: name,
    credentials,
  };
}

const ingressClass = {
  apiVersion: "networking.k8s.io/v1",
  kind: "IngressClass",
  metadata: {
    name: "kong",
    annotations: { "ingressclass.kubernetes.io/is-default-class": "true" },
  },
  spec: { controller: "ingress-controllers.konghq.com/kong" },
};

describe("what a refused credential costs its consumer", () => {
  const key = secretDoc("key-auth", { key: "alice-key" }, "key");
  it.each([
    ["basic-auth", { username: "alice" }, true],
    ["jwt", { key: "iss", algorithm: "ES256" }, true],
    ["hmac-auth", { secret: "s" }, true],
    ["oauth2", { name: "app" }, true],
    ["key-auth", { key: "" }, true],
    ["mtls-auth", { subject_name: "client" }, true],
    ["acl", { group: "" }, false],
    [undefined, { group: "blocked" }, false],
  ])("%s: the consumer stays: %s", (type, data, stays) => {
    const broken = secretDoc(type, data, "broken");
    const result = translate(
      loadSnapshot([ingressClass, consumerDoc("alice", ["key", "broken"]), key, broken]),
      DEFAULT_TRANSLATE_OPTIONS,
    );
    const consumers = result.config.consumers ?? [];
    const alice = result.results.find(r => r.ref.kind === "KongConsumer");
    const brokenResult = result.results.find(r => r.ref.name === "broken");
    expect(brokenResult?.outcome).toBe("excluded");
    expect(brokenResult?.problems.map(p => p.reason)).toEqual(["CredentialInvalid"]);
    expect(alice?.problems.map(p => p.reason)).toEqual(["CredentialInvalid"]);
    if (stays) {
      expect(alice?.outcome).toBe("translated");
      expect(consumers).toHaveLength(1);
      // Only the valid credential: nothing of the refused one is sent.
      expect(JSON.stringify(consumers[0])).toContain("alice-key");
      expect(Object.keys(consumers[0] ?? {}).filter(k => k !== "tags" && k !== "username")).toEqual(
        ["keyauth_credentials"],
      );
    } else {
      expect(alice?.outcome).toBe("excluded");
      expect(consumers).toEqual([]);
    }
  });
});

describe("credentials follow the plugins Kong has", () => {
  const docs = [
    ingressClass,
    consumerDoc("alice", ["mtls", "basic"]),
    secretDoc("mtls-auth", { subject_name: "alice.example.com" }, "mtls"),
    secretDoc("basic-auth", { username: "alice", password: "p" }, "basic"),
  ];
  it.each([
    [undefined, ["basicauth_credentials"]],
    [
      ["basic-auth", "mtls-auth"],
      ["basicauth_credentials", "mtls_auth_credentials"],
    ],
    [["mtls-auth"], ["mtls_auth_credentials"]],
  ])("Kong has %j: the consumer is sent with %j", (kongPlugins, collections) => {
    const result = translate(loadSnapshot(docs), {
      ...DEFAULT_TRANSLATE_OPTIONS,
      ...(kongPlugins === undefined ? {} : { kongPlugins }),
    });
    const [alice] = result.config.consumers ?? [];
    expect(Object.keys(alice ?? {}).filter(k => k.endsWith("credentials"))).toEqual(collections);
  });
});

describe("a memoising translator reads each credential Secret once per answer of Kong's", () => {
  it("keeps what it read, and reads again when Kong's plugins change", () => {
    const memo = new TranslationMemo();
    let kongPlugins: readonly string[] | undefined;
    const translator = createTranslator(
      { ...DEFAULT_TRANSLATE_OPTIONS, kongPlugins: () => kongPlugins },
      memo,
    );
    const snapshot = loadSnapshot([
      ingressClass,
      consumerDoc("alice", ["mtls"]),
      secretDoc("mtls-auth", { subject_name: "alice.example.com" }, "mtls"),
    ]);
    const [secret] = snapshot.secrets;
    const sent = () =>
      Object.keys(translator(snapshot).config.consumers?.[0] ?? {}).includes(
        "mtls_auth_credentials",
      );
    expect(sent()).toBe(false);
    const first = secret === undefined ? undefined : memo.credentials.get(secret);
    expect(first?.read.ok).toBe(false);
    expect(sent()).toBe(false);
    expect(secret === undefined ? undefined : memo.credentials.get(secret)).toBe(first);
    kongPlugins = ["mtls-auth"];
    expect(sent()).toBe(true);
    kongPlugins = [];
    expect(sent()).toBe(false);
  });
});
