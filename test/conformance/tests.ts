/**
 * The tests of the Gateway API conformance suite (sigs.k8s.io/gateway-api/conformance, the version in
 * go.mod beside this file) that CI runs against kongress: the status-level ones, which need no traffic
 * through a real Kong. `passes: true` marks a test that passes today; conformance.test.ts fails when
 * such a test stops passing. When a change makes another one pass, mark it here.
 */
export const CONFORMANCE_TESTS: Readonly<Record<string, { readonly passes: boolean }>> = {
  GatewayClassObservedGenerationBump: { passes: true },
  GatewayObservedGenerationBump: { passes: true },
  GatewayInvalidRouteKind: { passes: true },
  GatewayInvalidTLSConfiguration: { passes: true },
  GatewayModifyListeners: { passes: true },
  GatewaySecretMissingReferenceGrant: { passes: true },
  GatewaySecretReferenceGrantSpecific: { passes: true },
  GatewayWithAttachedRoutes: { passes: true },
  HTTPRouteInvalidCrossNamespaceParentRef: { passes: true },
  HTTPRouteInvalidParentRefNotMatchingSectionName: { passes: true },
  HTTPRouteObservedGenerationBump: { passes: true },
  TCPRouteInvalidNonTCPListener: { passes: true },
  UDPRouteNotAllowedByListeners: { passes: true },
  TLSRouteInvalidNoMatchingListenerHostname: { passes: true },
};
