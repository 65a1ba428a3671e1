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
import type { EndpointSlice, Secret, Service } from "../model/k8s.ts";
import { SERVICE_NAME_LABEL } from "../model/k8s.ts";
import { translateIngresses } from "./ingresses.ts";
import type { IrConfig } from "./ir/types.ts";
import { writeKongConfig } from "./kong-writer/index.ts";
import { derivedFrom, TranslationMemo } from "./memo.ts";
import { ResultsBuilder } from "./results.ts";
import { buildServices } from "./services.ts";
import { CertificateCollector } from "./tls.ts";
import { addListenerCertificates } from "./gateway/certificates.ts";
import { evaluateGatewayApi } from "./gateway/index.ts";
import { translateGatewayRoutes } from "./gateway/routes.ts";
import {
  DEFAULT_GATEWAY_CONTROLLER_NAME,
  type Snapshot,
  type TranslateOptions,
  type TranslationResult,
} from "./types.ts";

export type { Snapshot, TranslateOptions, TranslationResult } from "./types.ts";
export { DEFAULT_TRANSLATE_OPTIONS } from "./types.ts";
export { STUB_UPSTREAM_NAME } from "./kong-writer/index.ts";

export type Translator = (snapshot: Snapshot) => TranslationResult;

/** Translates from scratch. */
export function translate(snapshot: Snapshot, options: TranslateOptions): TranslationResult {
  return translateWith(snapshot, options, new TranslationMemo());
}

/** A translator that remembers per-object work between calls (for the controller's sync loop). */
export function createTranslator(options: TranslateOptions): Translator {
  const memo = new TranslationMemo();
  return snapshot => translateWith(snapshot, options, memo);
}

function translateWith(
  snapshot: Snapshot,
  options: TranslateOptions,
  memo: TranslationMemo,
): TranslationResult {
  const results = new ResultsBuilder(memo.refOf);
  // In key order (Kind/namespace/name), so the results rarely need sorting.
  const all = [
    snapshot.endpointSlices,
    snapshot.grpcRoutes,
    snapshot.gateways,
    snapshot.gatewayClasses,
    snapshot.httpRoutes,
    snapshot.ingresses,
    snapshot.ingressClasses,
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
    ...(options.listenerSupport === undefined ? {} : { support: options.listenerSupport() }),
  });
  for (const c of snapshot.gatewayClasses)
    if (gatewayApi.classes.some(ours => ours.name === c.metadata.name)) results.translated(c);
  for (const g of gatewayApi.gateways.values()) results.translated(g.gateway);

  memo.services = derivedFrom(memo.services, snapshot.services, byKey);
  memo.secrets = derivedFrom(memo.secrets, snapshot.secrets, byKey);
  const certificates = new CertificateCollector(memo.secrets.value, results, memo.keyPair);
  const services = memo.services.value;
  const ingressRoutes = translateIngresses({
    snapshot,
    options,
    services,
    certificates,
    results,
    memo,
  });

  // After every Ingress: their TLS hosts win over listeners' (KIC).
  addListenerCertificates({ evaluation: gatewayApi, certificates, results });

  memo.slices = derivedFrom(memo.slices, snapshot.endpointSlices, slicesByService);
  const ir: IrConfig = {
    services: buildServices({
      emissions: [
        ...ingressRoutes,
        ...translateGatewayRoutes({ evaluation: gatewayApi, results, translators: {} }),
      ],
      slicesByService: memo.slices.value,
      clusterDomain: options.clusterDomain,
      results,
      memo,
    }),
    certificates: certificates.certificates(),
  };
  return {
    config: writeKongConfig(ir, memo.writer),
    results: results.build(),
    gatewayApi: {
      classes: gatewayApi.classes,
      gateways: gatewayApi.gatewayStatuses,
      routes: gatewayApi.routes.map(r => r.status),
    },
  };
}

function byKey<T extends Secret | Service>(objects: readonly T[]): Map<string, T> {
  return new Map(objects.map(o => [`${o.metadata.namespace ?? ""}/${o.metadata.name}`, o]));
}

function slicesByService(slices: readonly EndpointSlice[]): Map<string, EndpointSlice[]> {
  const map = new Map<string, EndpointSlice[]>();
  for (const slice of slices) {
    const service = slice.metadata.labels?.[SERVICE_NAME_LABEL];
    if (service === undefined) continue;
    const key = `${slice.metadata.namespace ?? ""}/${service}`;
    const list = map.get(key);
    if (list === undefined) map.set(key, [slice]);
    else list.push(slice);
  }
  return map;
}
