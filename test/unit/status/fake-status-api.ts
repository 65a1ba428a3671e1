import type { LoadBalancerIngress } from "../../../src/status/ingress-address.ts";
import type {
  IngressStatusApi,
  IngressStatusRecord,
  WriteOutcome,
} from "../../../src/status/writer.ts";

/** What the fake does on the next call instead of the normal behaviour. */
export type Scripted = "conflict" | "gone" | "error" | "hang";

/** An in-memory Ingress status store with optimistic concurrency and scripted failures. */
export class FakeIngressStatusApi implements IngressStatusApi {
  readonly objects = new Map<
    string,
    { rv: number; loadBalancer: readonly LoadBalancerIngress[] }
  >();
  readonly reads: string[] = [];
  readonly writes: { key: string; loadBalancer: readonly LoadBalancerIngress[] }[] = [];
  readonly getScript: Scripted[] = [];
  readonly replaceScript: Scripted[] = [];

  put(namespace: string, name: string, loadBalancer: readonly LoadBalancerIngress[] = []): void {
    this.objects.set(`${namespace}/${name}`, { rv: 1, loadBalancer });
  }

  async getIngress(ref: {
    namespace: string;
    name: string;
  }): Promise<IngressStatusRecord | undefined> {
    const key = `${ref.namespace}/${ref.name}`;
    this.reads.push(key);
    await this.#scripted(this.getScript.shift());
    const obj = this.objects.get(key);
    if (obj === undefined) return undefined;
    return { ...ref, loadBalancer: obj.loadBalancer, object: { rv: obj.rv } };
  }

  async replaceIngressStatus(
    record: IngressStatusRecord,
    loadBalancer: readonly LoadBalancerIngress[],
  ): Promise<WriteOutcome> {
    const key = `${record.namespace}/${record.name}`;
    const step = this.replaceScript.shift();
    if (step === "conflict" || step === "gone") return step;
    await this.#scripted(step);
    const obj = this.objects.get(key);
    if (obj === undefined) return "gone";
    if (obj.rv !== (record.object as { rv: number }).rv) return "conflict";
    this.objects.set(key, { rv: obj.rv + 1, loadBalancer });
    this.writes.push({ key, loadBalancer });
    return "ok";
  }

  async #scripted(step: Scripted | undefined): Promise<void> {
    if (step === "error") throw Object.assign(new Error("apiserver unavailable"), { code: 503 });
    if (step === "hang") await new Promise(() => undefined);
  }
}
