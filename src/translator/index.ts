/**
 * The translator: a pure function from a frozen snapshot to the Kong declarative config plus one result per
 * input object. No I/O, clock, logger or environment; invalid input becomes a problem on its object.
 *
 * Stages: per-kind sub-translators emit routes into the intermediate representation (ir/types.ts), each
 * naming the Kong service it belongs to (Ingress: ingresses.ts); the core groups them into services and
 * resolves their backends (services.ts: Services, EndpointSlices) and collects certificates (tls.ts);
 * one writer turns the IR into Kong's format (kong-writer/). Each stage is a function of a small part of
 * the snapshot, memoised by the identity of what it reads (memo.ts). `translate` starts from nothing;
 * `createTranslator` keeps the memo between calls, so one changed object costs about one object's work
 * plus the merge, and its output is byte-identical to `translate`'s.
 */
import type { ConfigMap, Secret, Service } from "../model/k8s.ts";
import { CONFIGMAP_LABEL } from "../model/k8s.ts";
import { translateIngresses } from "./ingresses.ts";
import type { IrConfig, IrRoute } from "./ir/types.ts";
import { writeKongConfig } from "./kong-writer/index.ts";
import { derivedFrom, TranslationMemo } from "./memo.ts";
import { ResultsBuilder } from "./results.ts";
import { ClaimCollector } from "./ownership.ts";
import {
  applyOwnership,
  objectBudgets,
  ownershipPolicy,
  TranslatedHeldBack,
} from "./ownership-apply.ts";
import { keptStatuses } from "./gateway/kept-statuses.ts";
import { ClaimIndex, readInputs, rememberedForPatch, type PatchInputs } from "./patch-base.ts";
import { patchTranslation } from "./patch.ts";
import { patchEndpoints } from "./patch-endpoints.ts";
import { patchHttpRoutes } from "./patch-httproutes.ts";
import { markServed } from "./served.ts";
import { buildServices, slicesByService } from "./services.ts";
import { CertificateCollector } from "./tls.ts";
import { addListenerCertificates } from "./gateway/certificates.ts";
import { translateGrpcRoute } from "./gateway/grpc.ts";
import { translateHttpRoute } from "./gateway/http.ts";
import {
  evaluateGatewayApi,
  gatewayStatuses,
  routeStatuses,
  type GatewayApiEvaluation,
} from "./gateway/index.ts";
import { translateGatewayRoutes } from "./gateway/routes.ts";
import { globalPlugins, translateConsumers } from "./consumers.ts";
import { attachPlugins } from "./plugin-attach.ts";
import { admittedServices, routePluginQuestions } from "./plugin-gate.ts";
import { PluginCatalog } from "./plugins.ts";
import { applyUpstreamPolicies } from "./upstream-policy.ts";
import {
  DEFAULT_GATEWAY_CONTROLLER_NAME,
  type ObjectResult,
  type Snapshot,
  type TranslateOptions,
  type TranslationResult,
} from "./types.ts";

export type { Snapshot, TranslateOptions, TranslationResult } from "./types.ts";
export { DEFAULT_TRANSLATE_OPTIONS } from "./types.ts";
export { STUB_UPSTREAM_NAME } from "./kong-writer/index.ts";
export { TranslationMemo } from "./memo.ts";

export type Translator = (snapshot: Snapshot) => TranslationResult;

/** Translates from scratch. */
export function translate(snapshot: Snapshot, options: TranslateOptions): TranslationResult {
  return translateWith(snapshot, options, new TranslationMemo(), readInputs(options));
}

/**
 * A translator that remembers per-object work between calls (for the controller's sync loop); `memo`
 * is given only by tests that look into it.
 */
export function createTranslator(
  options: TranslateOptions,
  memo: TranslationMemo = new TranslationMemo(),
): Translator {
  // An Ingress-only or HTTPRoute-only change is patched into the last translation when it provably
  // touches nothing else (patch.ts, patch-httproutes.ts); an EndpointSlice-only one has the upstreams
  // of the slices' Services written anew (patch-endpoints.ts).
  return snapshot => {
    const inputs = readInputs(options);
    return (
      patchTranslation(snapshot, options, memo, inputs) ??
      patchHttpRoutes(snapshot, options, memo, inputs) ??
      patchEndpoints(snapshot, options, memo, inputs) ??
      translateWith(snapshot, options, memo, inputs)
    );
  };
}

function translateWith(
  snapshot: Snapshot,
  options: TranslateOptions,
  memo: TranslationMemo,
  inputs: PatchInputs,
): TranslationResult {
  const lastStatuses = memo.patchBase?.result.gatewayApi;
  // Until this translation is done, the last one is no base: a throw in between (the memo's parts
  // already moved on) must not leave a base that disagrees with them.
  memo.patchBase = undefined;
  const results = new ResultsBuilder(memo.refOf);
  const { flavor, kongPlugins, now } = inputs;
  const expressions = flavor === "expressions";
  // In key order (Kind/namespace/name), so the results rarely need sorting.
  const all = [
    snapshot.configMaps,
    snapshot.endpointSlices,
    snapshot.grpcRoutes,
    snapshot.gateways,
    snapshot.gatewayClasses,
    snapshot.httpRoutes,
    snapshot.ingresses,
    snapshot.ingressClasses,
    snapshot.ingressClassParameters,
    snapshot.kongClusterPlugins,
    snapshot.kongConsumers,
    snapshot.kongPlugins,
    snapshot.kongUpstreamPolicies,
    snapshot.referenceGrants,
    snapshot.secrets,
    snapshot.services,
    snapshot.tcpRoutes,
    snapshot.tlsRoutes,
    snapshot.udpRoutes,
  ];
  for (const list of all) for (const obj of list) results.seen(obj);
  const gatewayApi = evaluateGatewayApi(snapshot, {
    controllerName: options.gatewayControllerName ?? DEFAULT_GATEWAY_CONTROLLER_NAME,
    ...(inputs.listenerSupport === undefined ? {} : { support: inputs.listenerSupport }),
    ...(inputs.gatewayApiBundles === undefined ? {} : { bundles: inputs.gatewayApiBundles }),
  });
  for (const c of snapshot.gatewayClasses)
    if (gatewayApi.classes.some(ours => ours.name === c.metadata.name)) results.translated(c);
  for (const g of gatewayApi.gateways.values()) results.translated(g.gateway);

  memo.services = derivedFrom(memo.services, snapshot.services, byKey);
  memo.secrets = derivedFrom(memo.secrets, snapshot.secrets, byKey);
  const certificates = new CertificateCollector(memo.secrets.value, results, memo.keyPair, now);
  const services = memo.services.value;
  const catalog = new PluginCatalog({
    plugins: [...snapshot.kongPlugins, ...snapshot.kongClusterPlugins],
    secrets: memo.secrets.value,
    grants: snapshot.referenceGrants,
    results,
    builds: memo.pluginBuilds,
    kongPlugins,
  });
  const policy = ownershipPolicy(options, inputs.recorded);
  const claims = new ClaimCollector(memo.ageKey);
  const ingress = translateIngresses({
    ...{ snapshot, options, services, certificates, results, memo, catalog },
    admitsAnyHost: ns => policy.anyHostNamespaces?.has(ns) ?? true,
    budgets: objectBudgets(options),
  });
  const serviceView = admittedServices(services, catalog, results);
  const owned = applyOwnership({
    ...{ ingress, claims, policy, certificates, results, memo, options },
    gatewayRoutes: translateGatewayRoutes({
      evaluation: gatewayApi,
      results: new TranslatedHeldBack(results),
      translators: { HTTPRoute: translateHttpRoute, GRPCRoute: translateGrpcRoute },
      memo: memo.gatewayRoutes,
      ...routePluginQuestions({ catalog, services: serviceView, results }),
      expressions,
    }),
  });
  // After every Ingress: their TLS hosts win over listeners' (KIC).
  addListenerCertificates({ evaluation: gatewayApi, certificates, results });

  memo.slices = derivedFrom(memo.slices, snapshot.endpointSlices, slicesByService);
  const refused = new Map<IrRoute, readonly string[]>();
  const kongServices = applyUpstreamPolicies({
    services: buildServices({
      emissions: owned.emissions,
      slicesByService: memo.slices.value,
      clusterDomain: options.clusterDomain,
      ...(options.enableDrainSupport === true ? { drain: true } : {}),
      results,
      memo,
      expressions,
      secrets: memo.secrets.value,
      configMaps: labelledConfigMaps(snapshot.configMaps),
      certificates,
      refused,
    }),
    policies: snapshot.kongUpstreamPolicies,
    results,
    memo: memo.upstreamPolicies,
  });
  markServed({
    ...{ routed: owned.routed, sharing: owned.sharing, refused, results },
    gatewayRoutes: gatewayApi.routes,
  });
  const consumers = translateConsumers({ snapshot, options, catalog, results, memo, kongPlugins });
  const ir: IrConfig = {
    services: kongServices,
    certificates: certificates.certificates(),
    caCertificates: certificates.caCertificates(),
    plugins: attachPlugins({
      services: kongServices,
      consumers,
      global: globalPlugins({ snapshot, options, catalog, results, memo, kongPlugins }),
      catalog,
      results,
    }),
    consumers: consumers.map(c => c.consumer),
  };
  const built = results.build();
  const revisitAt = certificates.revisitAt();
  return rememberedForPatch(memo, {
    snapshot,
    result: {
      config: writeKongConfig(ir, memo.writer, flavor),
      results: built,
      gatewayApi: keptStatuses(lastStatuses, gatewayApiStatuses(gatewayApi, built)),
      tenancy: owned.tenancy,
      ...(revisitAt === undefined ? {} : { revisitAt }),
    },
    inputs,
    ownership: owned.ownership,
    tlsHostOwners: certificates.hostOwners(),
    claims: new ClaimIndex(owned.pathClaims),
    gatewayApi,
  });
}

/** Every Gateway API status: the routes' first, since a listener counts only the routes accepted. */
function gatewayApiStatuses(
  evaluation: GatewayApiEvaluation,
  results: readonly ObjectResult[],
): TranslationResult["gatewayApi"] {
  const routes = routeStatuses(evaluation.routes, results);
  return {
    classes: evaluation.classes,
    gateways: gatewayStatuses(evaluation.gateways, evaluation.routes, routes),
    routes,
  };
}

/** KIC reads only labelled ConfigMaps; manifests given to `kongress translate` are held to it too. */
function labelledConfigMaps(configMaps: readonly ConfigMap[]): Map<string, ConfigMap> {
  return byKey(configMaps.filter(c => c.metadata.labels?.[CONFIGMAP_LABEL] === "true"));
}

function byKey<T extends ConfigMap | Secret | Service>(objects: readonly T[]): Map<string, T> {
  return new Map(objects.map(o => [`${o.metadata.namespace ?? ""}/${o.metadata.name}`, o]));
}
