/**
 * KongUpstreamPolicy (kic-kong-resources.md §4): named by `konghq.com/upstream-policy` on a Service, in
 * its namespace, applied to every Kong upstream built for that Service (Ingress and Gateway API alike).
 * The Services behind one upstream must agree; otherwise no policy is applied and each is told.
 * `sticky-sessions` needs Kong 3.11, newer than the Kong this controller supports at least (3.4.1):
 * such a policy is reported and not applied.
 */
import type { Service } from "../model/k8s.ts";
import {
  UPSTREAM_POLICY_ANNOTATION,
  type HashOn,
  type HealthcheckStatus,
  type KongUpstreamPolicyObject,
  type KongUpstreamPolicySpec,
} from "../model/kong.ts";
import {
  upstreamEntityProblems,
  upstreamFieldProblem,
  type UpstreamField,
} from "../kong/validate/fields.ts";
import type { IrService } from "./ir/types.ts";
import type { ResultSink } from "./results.ts";

type Json = Record<string, unknown>;

/** A policy's Kong upstream fields, and what Kong would refuse of them (then none are applied). */
export interface PolicyUpstream {
  readonly fields: Readonly<Json>;
  readonly problems: readonly string[];
}

export interface UpstreamPolicyInput {
  readonly services: readonly IrService[];
  readonly policies: readonly KongUpstreamPolicyObject[];
  readonly results: ResultSink;
  /** Per policy object, its Kong upstream fields (the object is frozen: one translation each). */
  readonly memo: WeakMap<KongUpstreamPolicyObject, PolicyUpstream>;
}

/** The services with their upstream policy's fields set where their Services name one. */
export function applyUpstreamPolicies(input: UpstreamPolicyInput): IrService[] {
  const byKey = new Map(
    input.policies.map(p => [`${p.metadata.namespace ?? ""}/${p.metadata.name}`, p]),
  );
  return input.services.map(service => {
    const policy = policyOf(service, byKey, input.results);
    if (policy === undefined) return service;
    let upstream = input.memo.get(policy);
    if (upstream === undefined) {
      upstream = checkedUpstream(policy.spec);
      input.memo.set(policy, upstream);
    }
    if (upstream.problems.length > 0) {
      refusePolicy(policy, upstream.problems, service, input.results);
      return service;
    }
    input.results.translated(policy);
    return { ...service, upstream: upstream.fields };
  });
}

/** The upstream fields a policy sets; the record check below also refuses any other. */
const POLICY_FIELDS: readonly UpstreamField[] = [
  "algorithm",
  "slots",
  "hash_on",
  "hash_on_header",
  "hash_on_cookie",
  "hash_on_cookie_path",
  "hash_on_query_arg",
  "hash_on_uri_capture",
  "hash_fallback",
  "hash_fallback_header",
  "hash_fallback_query_arg",
  "hash_fallback_uri_capture",
  "healthchecks",
];

/** The policy's fields as Kong's `upstreams` schema judges them (src/kong/validate: one set of rules). */
function checkedUpstream(spec: KongUpstreamPolicySpec): PolicyUpstream {
  const fields = upstreamFields(spec);
  const problems: string[] = [];
  for (const field of POLICY_FIELDS) {
    if (!Object.hasOwn(fields, field)) continue;
    const problem = upstreamFieldProblem(field, fields[field]);
    if (problem !== undefined) problems.push(`upstream field ${field}: ${problem}`);
  }
  if (problems.length === 0)
    for (const problem of upstreamEntityProblems(fields)) problems.push(`upstream: ${problem}`);
  return { fields, problems };
}

/** A policy Kong would refuse is not applied: the policy and the Services naming it are told. */
function refusePolicy(
  policy: KongUpstreamPolicyObject,
  problems: readonly string[],
  service: IrService,
  results: ResultSink,
): void {
  for (const problem of problems)
    results.problem(policy, "InvalidUpstreamPolicy", `${problem}; the policy is not applied`);
  results.excluded(policy);
  const key = `${policy.metadata.namespace ?? ""}/${policy.metadata.name}`;
  for (const b of service.backends)
    results.problem(
      b.service,
      "InvalidUpstreamPolicy",
      `KongUpstreamPolicy ${key} is not applied: Kong would refuse it (see its events); the upstream keeps Kong's defaults`,
    );
}

function policyOf(
  service: IrService,
  byKey: ReadonlyMap<string, KongUpstreamPolicyObject>,
  results: ResultSink,
): KongUpstreamPolicyObject | undefined {
  // Most Services name no policy: say so without building lists.
  if (
    service.backends.every(
      b => b.service.metadata.annotations?.[UPSTREAM_POLICY_ANNOTATION] === undefined,
    )
  )
    return undefined;
  const named = service.backends.map(
    b => b.service.metadata.annotations?.[UPSTREAM_POLICY_ANNOTATION],
  );
  const distinct = new Set(named);
  if (distinct.size === 1 && named[0] === undefined) return undefined;
  const objects: Service[] = service.backends.map(b => b.service);
  if (distinct.size > 1) {
    for (const s of objects)
      results.problem(
        s,
        "InconsistentUpstreamPolicy",
        `Service has inconsistent ${UPSTREAM_POLICY_ANNOTATION} annotation and is used in multi-Service backend ${service.name}; no policy is applied there. This annotation must have the same value across all Services in the backend.`,
      );
    return undefined;
  }
  const first = objects[0];
  const name = named[0];
  if (first === undefined || name === undefined) return undefined;
  const key = `${first.metadata.namespace ?? ""}/${name}`;
  const policy = byKey.get(key);
  if (policy === undefined) {
    for (const s of objects)
      results.problem(
        s,
        "UpstreamPolicyNotFound",
        `KongUpstreamPolicy ${key} not found; the upstream keeps Kong's defaults`,
      );
    return undefined;
  }
  for (const s of objects) results.dependsOn(s, policy);
  if (policy.spec.algorithm === "sticky-sessions" || policy.spec.stickySessions !== undefined) {
    results.problem(
      policy,
      "UnsupportedValue",
      "sticky sessions need Kong 3.11 or newer; kongress supports Kong from 3.4.1 and does not apply this policy",
    );
    return undefined;
  }
  return policy;
}

/** KIC's mapping to Kong upstream fields (kic-kong-resources.md §4.2). */
export function upstreamFields(spec: KongUpstreamPolicySpec): Json {
  const out: Json = {};
  if (spec.algorithm !== undefined) out["algorithm"] = spec.algorithm;
  if (spec.slots !== undefined) out["slots"] = spec.slots;
  Object.assign(out, hashFields(spec.hashOn, "hash_on", "hash_on"));
  Object.assign(out, hashFields(spec.hashOnFallback, "hash_fallback", "hash_fallback"));
  // A fallback cookie fills the shared cookie fields; the primary's wins.
  if (spec.hashOn?.cookie === undefined && spec.hashOnFallback?.cookie !== undefined) {
    out["hash_on_cookie"] = spec.hashOnFallback.cookie;
    if (spec.hashOnFallback.cookiePath !== undefined)
      out["hash_on_cookie_path"] = spec.hashOnFallback.cookiePath;
  }
  if (spec.healthchecks !== undefined) out["healthchecks"] = healthchecks(spec.healthchecks);
  return out;
}

function hashFields(hash: HashOn | undefined, field: string, prefix: string): Json {
  if (hash === undefined) return {};
  if (hash.input !== undefined) return { [field]: hash.input };
  if (hash.header !== undefined) return { [field]: "header", [`${prefix}_header`]: hash.header };
  if (hash.queryArg !== undefined)
    return { [field]: "query_arg", [`${prefix}_query_arg`]: hash.queryArg };
  if (hash.uriCapture !== undefined)
    return { [field]: "uri_capture", [`${prefix}_uri_capture`]: hash.uriCapture };
  if (hash.cookie !== undefined && field === "hash_on")
    return {
      hash_on: "cookie",
      hash_on_cookie: hash.cookie,
      ...(hash.cookiePath === undefined ? {} : { hash_on_cookie_path: hash.cookiePath }),
    };
  if (hash.cookie !== undefined) return { [field]: "cookie" };
  return {};
}

const STATUS_FIELDS: readonly (readonly [keyof HealthcheckStatus, string])[] = [
  ["httpStatuses", "http_statuses"],
  ["interval", "interval"],
  ["successes", "successes"],
  ["httpFailures", "http_failures"],
  ["tcpFailures", "tcp_failures"],
  ["timeouts", "timeouts"],
];

function status(s: HealthcheckStatus | undefined): Json | undefined {
  if (s === undefined) return undefined;
  const out: Json = {};
  for (const [from, to] of STATUS_FIELDS) if (s[from] !== undefined) out[to] = s[from];
  return out;
}

function healthchecks(h: NonNullable<KongUpstreamPolicySpec["healthchecks"]>): Json {
  const out: Json = {};
  if (h.threshold !== undefined) out["threshold"] = h.threshold;
  if (h.active !== undefined) {
    const a = h.active;
    out["active"] = defined({
      type: a.type,
      concurrency: a.concurrency,
      http_path: a.httpPath,
      https_sni: a.httpsSni,
      https_verify_certificate: a.httpsVerifyCertificate,
      timeout: a.timeout,
      headers: a.headers,
      healthy: status(a.healthy),
      unhealthy: status(a.unhealthy),
    });
  }
  if (h.passive !== undefined) {
    const p = h.passive;
    out["passive"] = defined({
      type: p.type,
      healthy: status(p.healthy),
      unhealthy: status(p.unhealthy),
    });
  }
  return out;
}

function defined(fields: Json): Json {
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
}
