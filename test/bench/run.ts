/**
 * `npm run bench`: full translation of synthetic clusters of growing size. Prints one line per size with
 * the median wall time of several runs, the config size, and the heap growth, for docs/benchmarks.md.
 * Figures come from this machine only; compare runs on the same machine.
 */
import { readFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { buildSnapshot } from "../../src/model/parse.ts";
import type {
  EndpointSlice,
  Ingress,
  IngressClass,
  KubeObject,
  Secret,
  Service,
} from "../../src/model/k8s.ts";
import { translate, DEFAULT_TRANSLATE_OPTIONS } from "../../src/translator/index.ts";

const certDir = join(import.meta.dirname, "..", "fixtures", "certs");
const b64 = (file: string): string =>
  Buffer.from(readFileSync(join(certDir, file))).toString("base64");
const tlsData = { "tls.crt": b64("shop.crt"), "tls.key": b64("shop.key") };

function meta(name: string, i: number): KubeObject["metadata"] {
  return {
    name,
    namespace: `ns-${i % 50}`,
    uid: `uid-${name}-${i}`,
    resourceVersion: "1",
    creationTimestamp: "2024-01-01T00:00:00Z",
  };
}

/** One namespace-spread app per index: a Service, its EndpointSlice, an Ingress with two paths, and a TLS Secret for every tenth. */
function syntheticCluster(size: number): KubeObject[] {
  const objects: KubeObject[] = [
    {
      apiVersion: "networking.k8s.io/v1",
      kind: "IngressClass",
      metadata: { name: "kong" },
      spec: { controller: "ingress-controllers.konghq.com/kong" },
    } as IngressClass,
  ];
  for (let i = 0; i < size; i++) {
    const name = `app-${i}`;
    const service: Service = {
      apiVersion: "v1",
      kind: "Service",
      metadata: meta(name, i),
      spec: { ports: [{ name: "http", port: 80, targetPort: 8080, protocol: "TCP" }] },
    };
    const slice: EndpointSlice = {
      apiVersion: "discovery.k8s.io/v1",
      kind: "EndpointSlice",
      metadata: { ...meta(`${name}-x`, i), labels: { "kubernetes.io/service-name": name } },
      addressType: "IPv4",
      ports: [{ name: "http", port: 8080, protocol: "TCP" }],
      endpoints: [1, 2, 3].map(e => ({
        addresses: [`10.${i % 250}.${Math.floor(i / 250) % 250}.${e}`],
        conditions: { ready: true },
      })),
    };
    const tls = i % 10 === 0 ? [{ hosts: [`${name}.example.com`], secretName: `${name}-tls` }] : [];
    const ingress: Ingress = {
      apiVersion: "networking.k8s.io/v1",
      kind: "Ingress",
      metadata: { ...meta(name, i), annotations: { "konghq.com/strip-path": "true" } },
      spec: {
        ingressClassName: "kong",
        tls,
        rules: [
          {
            host: `${name}.example.com`,
            http: {
              paths: [
                {
                  path: "/",
                  pathType: "Prefix",
                  backend: { service: { name, port: { number: 80 } } },
                },
                {
                  path: "/api/v1",
                  pathType: "Exact",
                  backend: { service: { name, port: { name: "http" } } },
                },
              ],
            },
          },
        ],
      },
    };
    objects.push(service, slice, ingress);
    if (tls.length > 0)
      objects.push({
        apiVersion: "v1",
        kind: "Secret",
        metadata: meta(`${name}-tls`, i),
        type: "kubernetes.io/tls",
        data: tlsData,
      } as Secret);
  }
  return objects;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

function bench(size: number, runs: number): string {
  const snapshot = buildSnapshot(syntheticCluster(size));
  globalThis.gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  const times: number[] = [];
  let bytes = 0;
  for (let r = 0; r < runs; r++) {
    const start = performance.now();
    const { config } = translate(snapshot, DEFAULT_TRANSLATE_OPTIONS);
    times.push(performance.now() - start);
    bytes = JSON.stringify(config).length;
  }
  const heapMb = (process.memoryUsage().heapUsed - heapBefore) / 1024 / 1024;
  const objects = size * 3 + Math.ceil(size / 10) + 1;
  return `| ${size} apps (${objects} objects) | ${median(times).toFixed(1)} ms | ${Math.min(...times).toFixed(1)} ms | ${(bytes / 1024 / 1024).toFixed(2)} MiB | ${heapMb.toFixed(0)} MiB |`;
}

const sizes = (process.env["BENCH_SIZES"] ?? "100,1000,3333").split(",").map(Number);
process.stdout.write(
  `node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB\n\n`,
);
process.stdout.write(
  "| size | translate (median) | translate (best) | config JSON | heap growth |\n|---|---|---|---|---|\n",
);
for (const size of sizes) process.stdout.write(`${bench(size, 5)}\n`);
