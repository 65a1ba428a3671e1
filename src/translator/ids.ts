import { uuidV5 } from "../kong/validate/ids.ts";

/** Namespace of our deterministic entity ids (a fixed random UUID; never change it: ids would churn). */
const KONGRESS_ID_NAMESPACE = "6e1c2b4a-7f0e-4c51-9d0a-3b8f2a9e5d17";

/** A stable id for an entity Kong cannot name (certificates), derived from what produced it. */
export function entityId(collection: string, key: string): string {
  return uuidV5(KONGRESS_ID_NAMESPACE, `${collection}:${key}`);
}
