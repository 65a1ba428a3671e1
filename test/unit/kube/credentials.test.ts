import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createAuthenticator } from "../../../src/kube/credentials.ts";
import { KubeConfigError } from "../../../src/kube/errors.ts";
import { resolveClusterAccess } from "../../../src/kube/kubeconfig.ts";
import { ManualClock } from "../../support/manual-clock.ts";

const dir = mkdtempSync(join(tmpdir(), "kongress-credentials-"));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const clock = new ManualClock();

describe("createAuthenticator", () => {
  it.each([
    { credentials: { kind: "none" } as const, headers: {} },
    {
      credentials: { kind: "token", token: "abc" } as const,
      headers: { Authorization: "Bearer abc" },
    },
    {
      credentials: { kind: "basic", username: "admin", password: "s3cret" } as const,
      // base64("admin:s3cret")
      headers: { Authorization: "Basic YWRtaW46czNjcmV0" },
    },
  ])("$credentials.kind", async ({ credentials, headers }) => {
    await expect(createAuthenticator(credentials, { clock }).headers()).resolves.toEqual(headers);
  });

  it("reads a token file again once the refresh period has passed (a rotated projected token)", async () => {
    const path = join(dir, "rotating");
    writeFileSync(path, "first\n");
    const auth = createAuthenticator(
      { kind: "token-file", path },
      { clock, tokenFileRefreshMs: 60_000 },
    );
    await expect(auth.headers()).resolves.toEqual({ Authorization: "Bearer first" });
    writeFileSync(path, "second\n");
    clock.jump(59_999);
    await expect(auth.headers()).resolves.toEqual({ Authorization: "Bearer first" });
    clock.jump(1);
    await expect(auth.headers()).resolves.toEqual({ Authorization: "Bearer second" });
  });

  it("keeps the last token when the file cannot be read for a moment", async () => {
    const path = join(dir, "flaky");
    writeFileSync(path, "kept");
    const auth = createAuthenticator(
      { kind: "token-file", path },
      { clock, tokenFileRefreshMs: 10 },
    );
    await auth.headers();
    rmSync(path);
    clock.jump(10);
    await expect(auth.headers()).resolves.toEqual({ Authorization: "Bearer kept" });
  });

  it("rejects with KubeConfigError while a token file has never been readable", async () => {
    const auth = createAuthenticator({ kind: "token-file", path: join(dir, "nope") }, { clock });
    await expect(auth.headers()).rejects.toBeInstanceOf(KubeConfigError);
  });

  it("runs an exec plugin through client-node and sends the token it returns", async () => {
    const script = join(dir, "get-token.sh");
    writeFileSync(
      script,
      `#!/bin/sh
echo '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"from-plugin"}}'
`,
    );
    chmodSync(script, 0o755);
    const kubeconfig = join(dir, "exec-config");
    writeFileSync(
      kubeconfig,
      `apiVersion: v1
kind: Config
clusters: [{ name: c, cluster: { server: "https://kube.example" } }]
users: [{ name: u, user: { exec: { apiVersion: client.authentication.k8s.io/v1, command: ./get-token.sh, interactiveMode: Never } } }]
contexts: [{ name: x, context: { cluster: c, user: u } }]
current-context: x
`,
    );
    const { credentials } = resolveClusterAccess({ kubeconfig, env: {} });
    const auth = createAuthenticator(credentials, { clock });
    await expect(auth.headers()).resolves.toMatchObject({ Authorization: "Bearer from-plugin" });
  });

  it("rejects with KubeConfigError when the exec plugin fails", async () => {
    const kubeconfig = join(dir, "failing-exec-config");
    writeFileSync(
      kubeconfig,
      `apiVersion: v1
kind: Config
clusters: [{ name: c, cluster: { server: "https://kube.example" } }]
users: [{ name: u, user: { exec: { apiVersion: client.authentication.k8s.io/v1, command: /bin/false, interactiveMode: Never } } }]
contexts: [{ name: x, context: { cluster: c, user: u } }]
current-context: x
`,
    );
    const { credentials } = resolveClusterAccess({ kubeconfig, env: {} });
    await expect(createAuthenticator(credentials, { clock }).headers()).rejects.toBeInstanceOf(
      KubeConfigError,
    );
  });
});
