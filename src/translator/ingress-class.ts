import type { Ingress, IngressClass } from "../model/k8s.ts";

export const INGRESS_CLASS_ANNOTATION = "kubernetes.io/ingress.class";
export const DEFAULT_CLASS_ANNOTATION = "ingressclass.kubernetes.io/is-default-class";
export const KONG_INGRESS_CONTROLLER = "ingress-controllers.konghq.com/kong";

export type ClassMatch =
  | { readonly ours: true; readonly ingressClass: IngressClass | undefined }
  | { readonly ours: false; readonly reason: string };

/**
 * KIC's precedence (kic-conventions.md §2.1): the legacy annotation, then `spec.ingressClassName`, then
 * — for classless Ingresses — the IngressClass named like ours, if it is marked as the cluster default.
 */
export function matchIngressClass(
  ingress: Ingress,
  classes: ReadonlyMap<string, IngressClass>,
  className: string,
): ClassMatch {
  const annotated = ingress.metadata.annotations?.[INGRESS_CLASS_ANNOTATION];
  const ourClass = classes.get(className);
  if (annotated !== undefined && annotated !== "") {
    return annotated === className
      ? { ours: true, ingressClass: ourClass }
      : {
          ours: false,
          reason: `annotation ${INGRESS_CLASS_ANNOTATION} is "${annotated}", not "${className}"`,
        };
  }
  const named = ingress.spec.ingressClassName;
  if (named !== undefined && named !== "") {
    return named === className
      ? { ours: true, ingressClass: ourClass }
      : { ours: false, reason: `spec.ingressClassName is "${named}", not "${className}"` };
  }
  if (ourClass !== undefined && isDefaultClass(ourClass))
    return { ours: true, ingressClass: ourClass };
  return {
    ours: false,
    reason: `it names no ingress class and IngressClass "${className}" is not the cluster default`,
  };
}

export function isDefaultClass(ingressClass: IngressClass): boolean {
  return ingressClass.metadata.annotations?.[DEFAULT_CLASS_ANNOTATION] === "true";
}

export function isOurIngressClass(ingressClass: IngressClass, className: string): boolean {
  return (
    ingressClass.metadata.name === className &&
    ingressClass.spec.controller === KONG_INGRESS_CONTROLLER
  );
}
