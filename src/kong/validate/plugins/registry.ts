/** Kong's bundled plugins (`kong/constants.lua` BUNDLED_PLUGINS) with their handler priorities. */
import { acl, basicAuth, jwt, keyAuth } from "./auth.ts";
import { prometheus } from "./observability.ts";
import {
  correlationId,
  cors,
  ipRestriction,
  rateLimiting,
  redirect,
  requestTermination,
} from "./traffic.ts";
import { requestTransformer, responseTransformer } from "./transformers.ts";
import type { PluginDef } from "./types.ts";

const SCHEMAS: readonly PluginDef[] = [
  requestTransformer,
  responseTransformer,
  requestTermination,
  redirect,
  cors,
  keyAuth,
  rateLimiting,
  acl,
  basicAuth,
  ipRestriction,
  correlationId,
  jwt,
  prometheus,
];

/** Bundled plugins without a modelled schema: any `config` is accepted for them. */
const OTHERS: Readonly<Record<string, number>> = {
  "pre-function": 1000000,
  zipkin: 100000,
  opentelemetry: 14,
  "bot-detection": 2500,
  session: 1900,
  acme: 1705,
  oauth2: 1400,
  "ldap-auth": 1200,
  "hmac-auth": 1030,
  "grpc-gateway": 998,
  "request-size-limiting": 951,
  "response-ratelimiting": 900,
  "aws-lambda": 750,
  "azure-functions": 749,
  "proxy-cache": 100,
  "http-log": 12,
  statsd: 11,
  datadog: 10,
  "file-log": 9,
  "udp-log": 8,
  "tcp-log": 7,
  loggly: 6,
  syslog: 4,
  "grpc-web": 3,
  "post-function": -1000,
  "ai-proxy": 770,
  "ai-prompt-decorator": 772,
  "ai-prompt-template": 773,
  "ai-prompt-guard": 771,
  "ai-request-transformer": 777,
  "ai-response-transformer": 768,
  "standard-webhooks": 760,
};

const ALL: ReadonlyMap<string, PluginDef> = new Map([
  ...SCHEMAS.map(p => [p.name, p] as const),
  ...Object.entries(OTHERS).map(([name, priority]) => [name, { name, priority }] as const),
]);

/** Every bundled plugin name, sorted. */
export const BUNDLED_PLUGINS: readonly string[] = [...ALL.keys()].sort();

/** What we know about a plugin; plugins neither bundled nor modelled get a permissive definition. */
export function pluginDef(name: string): PluginDef {
  return ALL.get(name) ?? { name, priority: 0 };
}

/** Names of the plugins whose config schema is modelled (for tests and `GET /schemas/plugins`). */
export const MODELLED_PLUGINS: readonly string[] = SCHEMAS.map(p => p.name);
