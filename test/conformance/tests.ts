/**
 * The tests of the Gateway API conformance suite (sigs.k8s.io/gateway-api/conformance, the version in
 * go.mod beside this file) that CI runs against kongress: the status-level ones, which need no traffic
 * through a real Kong. `passes: true` marks a test that passes today; conformance.test.ts fails when
 * such a test stops passing. When a change makes another one pass, mark it here.
 */
export const CONFORMANCE_TESTS: Readonly<Record<string, { readonly passes: boolean }>> = {
  GatewayClassObservedGenerationBump: { passes: false },
  GatewayObservedGenerationBump: { passes: false },
  GatewayInvalidRouteKind: { passes: false },
  GatewayInvalidTLSConfiguration: { passes: false },
  GatewayModifyListeners: { passes: false },
  GatewaySecretMissingReferenceGrant: { passes: false },
  GatewaySecretReferenceGrantSpecific: { passes: false },
  GatewayWithAttachedRoutes: { passes: false },
  HTTPRouteInvalidCrossNamespaceParentRef: { passes: false },
  HTTPRouteInvalidParentRefNotMatchingSectionName: { passes: false },
  HTTPRouteObservedGenerationBump: { passes: false },
  TCPRouteInvalidNonTCPListener: { passes: false },
  UDPRouteNotAllowedByListeners: { passes: false },
  TLSRouteInvalidNoMatchingListenerHostname: { passes: false },
};
