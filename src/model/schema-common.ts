/** zod building blocks shared by the schemas of every kind (parse.ts, parse-gateway-api.ts). */
import { z } from "zod";

// Kubernetes serialises absent optional fields as null in places (kubectl's `creationTimestamp: null`),
// so every optional field accepts null; parse.ts's `compact` removes them again.
export const str = z.string();
export const int = z.number().int();
export const bool = z.boolean();
export const stringMap = z.record(z.string(), z.string());

export const metadata = z.object({
  name: z.string().min(1, "must not be empty").max(253, "must be at most 253 characters"),
  namespace: str.nullish(),
  uid: str.nullish(),
  resourceVersion: str.nullish(),
  generation: int.nullish(),
  creationTimestamp: str.nullish(),
  labels: stringMap.nullish(),
  annotations: stringMap.nullish(),
});

/** What every object has: `apiVersion`, `metadata` (and `kind`, which each schema pins). */
export const head = { apiVersion: str, metadata };
