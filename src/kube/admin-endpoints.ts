/**
 * Which Kong Admin APIs a Service's EndpointSlices name (gateway discovery, `--kong-admin-svc`), by
 * KIC's rules (kic-conventions.md §4.5): ports named in `--kong-admin-svc-port-names`, endpoints of
 * Pods that are not terminating, one URL per endpoint. A pure function of the slices, so the rules are
 * tested as a table.
 */
import * as z from "zod";
import { compareStrings } from "../util/compare.ts";

/** One Kong Admin API found behind the Service. */
export interface DiscoveredAdminApi {
  /** `scheme://address:port`, e.g. `https://10.0.3.7:8444` or `https://[fd00::7]:8444`. */
  readonly url: string;
  /** The name to verify in its certificate: KIC's `pod.<service>.<namespace>.svc`. */
  readonly tlsServerName: string;
}

/** The parts of an EndpointSlice discovery reads; everything else is dropped by the parser. */
const endpointSliceSchema = z.object({
  metadata: z.object({ name: z.string(), namespace: z.string().nullish() }),
  addressType: z.string().nullish(),
  endpoints: z
    .array(
      z.object({
        addresses: z.array(z.string()).nullish(),
        conditions: z
          .object({
            ready: z.boolean().nullish(),
            serving: z.boolean().nullish(),
            terminating: z.boolean().nullish(),
          })
          .nullish(),
        targetRef: z.object({ kind: z.string().nullish(), name: z.string().nullish() }).nullish(),
      }),
    )
    .nullish(),
  ports: z
    .array(
      z.object({
        name: z.string().nullish(),
        port: z.number().int().nullish(),
        protocol: z.string().nullish(),
        appProtocol: z.string().nullish(),
      }),
    )
    .nullish(),
});

export type AdminEndpointSlice = z.output<typeof endpointSliceSchema>;

type Endpoint = NonNullable<AdminEndpointSlice["endpoints"]>[number];
type Port = NonNullable<AdminEndpointSlice["ports"]>[number];

/** Reads a raw EndpointSlice; undefined when it does not have the shape of one. */
export function parseAdminEndpointSlice(raw: unknown): AdminEndpointSlice | undefined {
  const parsed = endpointSliceSchema.safeParse(raw);
  return parsed.success ? parsed.data : undefined;
}

/**
 * The slice's admin port: the first of `portNames` (in the order given) that the slice has over TCP.
 * A Kong that exposes both `admin-tls` and `kong-admin-tls` is one Kong and gets one URL.
 */
function adminPort(slice: AdminEndpointSlice, portNames: readonly string[]): Port | undefined {
  const ports = (slice.ports ?? []).filter(
    p =>
      typeof p.port === "number" &&
      (p.protocol ?? "TCP") === "TCP" &&
      portNames.includes(p.name ?? ""),
  );
  return ports.sort((a, b) => portNames.indexOf(a.name ?? "") - portNames.indexOf(b.name ?? ""))[0];
}

/**
 * KIC always speaks HTTPS to a discovered Admin API. A port whose `appProtocol` says `http` is plain
 * HTTP (an admin listener without TLS, as the Service itself declares it); anything else is HTTPS.
 */
function schemeOf(port: Port): "http" | "https" {
  return port.appProtocol?.toLowerCase() === "http" ? "http" : "https";
}

/**
 * KIC's rule: an endpoint backed by a Pod that is not terminating. Readiness is deliberately not
 * required: Kong's readiness probe (`/status/ready`) fails until Kong holds a config, so a fresh Kong
 * is unready precisely because it waits for us.
 */
function eligible(endpoint: Endpoint): boolean {
  return endpoint.conditions?.terminating !== true && endpoint.targetRef?.kind === "Pod";
}

/** An address as a URL host: IPv6 addresses go in brackets. */
function hostOf(address: string): string {
  return address.includes(":") ? `[${address}]` : address;
}

/** Every Admin API the slices of `service` name, deduplicated and sorted by URL. */
export function adminApisOf(opts: {
  readonly service: { readonly namespace: string; readonly name: string };
  readonly slices: readonly AdminEndpointSlice[];
  readonly portNames: readonly string[];
}): DiscoveredAdminApi[] {
  const tlsServerName = `pod.${opts.service.name}.${opts.service.namespace}.svc`;
  const urls = new Set<string>();
  for (const slice of opts.slices) {
    const port = adminPort(slice, opts.portNames);
    if (port === undefined) continue;
    for (const endpoint of slice.endpoints ?? []) {
      // The addresses of one endpoint are one Pod's (Kubernetes: "fungible"): the first one will do.
      const address = endpoint.addresses?.[0];
      if (address === undefined || address === "" || !eligible(endpoint)) continue;
      urls.add(`${schemeOf(port)}://${hostOf(address)}:${String(port.port)}`);
    }
  }
  return [...urls].sort(compareStrings).map(url => ({ url, tlsServerName }));
}
