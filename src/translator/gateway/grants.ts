/**
 * ReferenceGrants: a reference from one namespace into another is allowed only when a grant in the
 * target namespace names the referring kind and namespace, and the target kind (and name, if the grant
 * names one). Every cross-namespace reference of Gateway API objects goes through `permits`.
 */
import type { ReferenceGrant } from "../../model/gateway-api.ts";

export interface ReferenceFrom {
  readonly group: string;
  readonly kind: string;
  readonly namespace: string;
}

export interface ReferenceTo {
  readonly group: string;
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
}

export class ReferenceGrants {
  readonly #byNamespace = new Map<string, ReferenceGrant[]>();

  constructor(grants: readonly ReferenceGrant[]) {
    for (const grant of grants) {
      const namespace = grant.metadata.namespace ?? "";
      const list = this.#byNamespace.get(namespace) ?? [];
      list.push(grant);
      this.#byNamespace.set(namespace, list);
    }
  }

  /** Same-namespace references need no grant. */
  permits(from: ReferenceFrom, to: ReferenceTo): boolean {
    if (from.namespace === to.namespace) return true;
    return (this.#byNamespace.get(to.namespace) ?? []).some(
      grant =>
        grant.spec.from.some(
          f => f.group === from.group && f.kind === from.kind && f.namespace === from.namespace,
        ) &&
        grant.spec.to.some(
          t =>
            t.group === to.group &&
            t.kind === to.kind &&
            (t.name === undefined || t.name === "" || t.name === to.name),
        ),
    );
  }
}
