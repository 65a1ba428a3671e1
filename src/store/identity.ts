import type { KubeObject } from "../model/k8s.ts";
import { isRecord } from "../util/is-record.ts";

/** Where an object lives and which version of it we hold. */
export interface Identity {
  /** Empty for cluster-scoped objects. */
  readonly namespace: string;
  readonly name: string;
  /** Empty when unknown. */
  readonly uid: string;
  /** Empty when unknown. */
  readonly resourceVersion: string;
}

export function identityOf(obj: KubeObject): Identity {
  const m = obj.metadata;
  return {
    namespace: m.namespace ?? "",
    name: m.name,
    uid: m.uid ?? "",
    resourceVersion: m.resourceVersion ?? "",
  };
}

/** Reads the identity of an object that has not been parsed (it may be invalid); undefined without a name. */
export function rawIdentity(raw: unknown): Identity | undefined {
  const meta = isRecord(raw) ? raw["metadata"] : undefined;
  if (!isRecord(meta) || typeof meta["name"] !== "string" || meta["name"] === "") return undefined;
  return {
    namespace: stringOr(meta["namespace"]),
    name: meta["name"],
    uid: stringOr(meta["uid"]),
    resourceVersion: stringOr(meta["resourceVersion"]),
  };
}

function stringOr(value: unknown): string {
  return typeof value === "string" ? value : "";
}
