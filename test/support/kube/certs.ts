import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { runCommand } from "./run.ts";

/** Paths of the PKI files a test cluster needs, all inside one directory. */
export interface ClusterPki {
  readonly caCert: string;
  readonly serverCert: string;
  readonly serverKey: string;
  /** Client cert for user "admin" in group system:masters. */
  readonly adminCert: string;
  readonly adminKey: string;
  readonly serviceAccountKey: string;
  readonly serviceAccountPub: string;
}

// P-256 keeps generation fast; the sequence is the one verified in kube-testing.md §3.2.
// prettier-ignore
const steps: readonly (readonly string[])[] = [
  ["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "ca.key"],
  ["req", "-x509", "-new", "-key", "ca.key", "-subj", "/CN=kongress-test-ca", "-days", "7",
    "-addext", "basicConstraints=critical,CA:TRUE",
    "-addext", "keyUsage=critical,keyCertSign,cRLSign", "-out", "ca.crt"],
  ["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "apiserver.key"],
  ["req", "-new", "-key", "apiserver.key", "-subj", "/CN=kube-apiserver", "-out", "apiserver.csr"],
  ["x509", "-req", "-in", "apiserver.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
    "-days", "7", "-extfile", "server.ext", "-out", "apiserver.crt"],
  ["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "admin.key"],
  ["req", "-new", "-key", "admin.key", "-subj", "/O=system:masters/CN=admin", "-out", "admin.csr"],
  ["x509", "-req", "-in", "admin.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
    "-days", "7", "-extfile", "client.ext", "-out", "admin.crt"],
  // Service-account tokens are signed with RS256 by default, so this key must be RSA.
  ["genrsa", "-out", "sa.key", "2048"],
  ["rsa", "-in", "sa.key", "-pubout", "-out", "sa.pub"],
];

/** Generates a CA, apiserver serving cert, admin client cert and service-account key in `dir`. */
export async function generateClusterPki(dir: string): Promise<ClusterPki> {
  await writeFile(
    join(dir, "server.ext"),
    "subjectAltName=DNS:localhost,IP:127.0.0.1\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n",
  );
  await writeFile(
    join(dir, "client.ext"),
    "keyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n",
  );
  for (const args of steps) {
    const result = await runCommand("openssl", args, { cwd: dir, timeoutMs: 30_000 });
    if (result.code !== 0) {
      throw new Error(`openssl ${args.join(" ")} failed (${result.code}): ${result.stderr}`);
    }
  }
  return {
    caCert: join(dir, "ca.crt"),
    serverCert: join(dir, "apiserver.crt"),
    serverKey: join(dir, "apiserver.key"),
    adminCert: join(dir, "admin.crt"),
    adminKey: join(dir, "admin.key"),
    serviceAccountKey: join(dir, "sa.key"),
    serviceAccountPub: join(dir, "sa.pub"),
  };
}
