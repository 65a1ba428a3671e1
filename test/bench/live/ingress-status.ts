/**
 * Follows `status.loadBalancer` of every Ingress through one list and watch (cheaper for the API server
 * than listing thousands of Ingresses every 250 ms), and tells when all of them publish an address.
 */
import { nowMs } from "./controller-process.ts";
import type { KubeHttp, WatchEvent } from "./kube-http.ts";

const INGRESSES = "/apis/networking.k8s.io/v1/ingresses";
const MAX_RESTARTS = 50;

interface IngressLike {
  readonly metadata?: { readonly namespace?: string; readonly name?: string };
  readonly status?: {
    readonly loadBalancer?: {
      readonly ingress?: readonly { readonly ip?: string; readonly hostname?: string }[];
    };
  };
}

export interface IngressStatusWatch {
  /** Ingresses whose first `status.loadBalancer.ingress` entry is `address`. */
  countWith(address: string): number;
  total(): number;
  /** When the first Ingress published `address` (epoch ms, as the watch saw it); undefined if none has. */
  firstWith(address: string): number | undefined;
  /** When all `expected` Ingresses publish `address` (epoch ms, as the watch saw it); undefined on timeout. */
  waitAll(address: string, expected: number, timeoutMs: number): Promise<number | undefined>;
  /** Why the watch stopped early, if it did. */
  failure(): string | undefined;
  stop(): Promise<void>;
}

interface Waiter {
  readonly address: string;
  readonly expected: number;
  readonly resolve: (atMs: number | undefined) => void;
}

function keyOf(ingress: IngressLike): string {
  return `${ingress.metadata?.namespace ?? ""}/${ingress.metadata?.name ?? ""}`;
}

function addressOf(ingress: IngressLike): string {
  const first = ingress.status?.loadBalancer?.ingress?.[0];
  return first?.ip ?? first?.hostname ?? "";
}

export async function watchIngressStatus(kube: KubeHttp): Promise<IngressStatusWatch> {
  const byKey = new Map<string, string>();
  const counts = new Map<string, number>();
  const firstSeen = new Map<string, number>();
  const waiters = new Set<Waiter>();
  const abort = new AbortController();
  let failure: string | undefined;

  const set = (key: string, address: string | undefined): void => {
    const old = byKey.get(key);
    if (old !== undefined) counts.set(old, (counts.get(old) ?? 0) - 1);
    if (address === undefined) byKey.delete(key);
    else {
      byKey.set(key, address);
      counts.set(address, (counts.get(address) ?? 0) + 1);
      if (!firstSeen.has(address)) firstSeen.set(address, nowMs());
    }
  };
  const check = (): void => {
    for (const waiter of waiters) {
      if ((counts.get(waiter.address) ?? 0) < waiter.expected) continue;
      waiters.delete(waiter);
      waiter.resolve(nowMs());
    }
  };
  const onEvent = (event: WatchEvent): void => {
    if (event.type === "BOOKMARK") return;
    const ingress = event.object as IngressLike;
    set(keyOf(ingress), event.type === "DELETED" ? undefined : addressOf(ingress));
    check();
  };
  const relist = async (): Promise<string> => {
    const list = await kube.list(INGRESSES);
    byKey.clear();
    counts.clear();
    for (const item of list.items as IngressLike[]) set(keyOf(item), addressOf(item));
    check();
    return list.resourceVersion;
  };

  let resourceVersion = await relist();
  const loop = (async () => {
    const stopped = (): boolean => abort.signal.aborted;
    for (let restart = 0; restart < MAX_RESTARTS && !stopped(); restart++) {
      try {
        resourceVersion = await kube.watch(INGRESSES, resourceVersion, onEvent, abort.signal);
      } catch (err) {
        if (stopped()) return;
        // A 410 (resourceVersion too old) or a dropped stream: list again and carry on.
        failure = String(err);
        resourceVersion = await relist();
      }
    }
  })().catch((err: unknown) => {
    failure = `ingress watch gave up: ${String(err)}`;
  });

  return {
    countWith: address => counts.get(address) ?? 0,
    total: () => byKey.size,
    firstWith: address => firstSeen.get(address),
    waitAll: (address, expected, timeoutMs) =>
      new Promise(resolve => {
        if ((counts.get(address) ?? 0) >= expected) {
          resolve(nowMs());
          return;
        }
        const waiter: Waiter = {
          address,
          expected,
          resolve: atMs => {
            clearTimeout(timer);
            resolve(atMs);
          },
        };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          resolve(undefined);
        }, timeoutMs);
        waiters.add(waiter);
      }),
    failure: () => failure,
    stop: async () => {
      abort.abort();
      for (const waiter of waiters) waiter.resolve(undefined);
      waiters.clear();
      await loop;
    },
  };
}
