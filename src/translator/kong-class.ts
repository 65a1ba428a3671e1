import type { IngressClass, KubeObject } from "../model/k8s.ts";
import { INGRESS_CLASS_ANNOTATION, isDefaultClass } from "./ingress-class.ts";

/**
 * KIC's class rule for KongConsumers and global KongClusterPlugins (kic-kong-resources.md §0.1): the
 * `kubernetes.io/ingress.class` annotation must name our class; without it, the object is ours only
 * when our IngressClass is the cluster default.
 */
export function isOurClassAnnotated(
  obj: KubeObject,
  classes: ReadonlyMap<string, IngressClass>,
  className: string,
): boolean {
  const annotated = obj.metadata.annotations?.[INGRESS_CLASS_ANNOTATION];
  if (annotated !== undefined && annotated !== "") return annotated === className;
  const ours = classes.get(className);
  return ours !== undefined && isDefaultClass(ours);
}
