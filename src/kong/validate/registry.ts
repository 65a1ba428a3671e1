/**
 * The declarative document's shape: which collections exist (core, plus credentials of enabled
 * plugins), their validation order, and the nesting table of kong-admin-api.md §2.2.
 */
import { caCertificatesSchema, certificates, snis } from "./entities/certificates.ts";
import { consumers, credentialSchemas } from "./entities/consumers.ts";
import { filterChains, keySets, keys, vaults } from "./entities/misc.ts";
import { pluginsSchema } from "./entities/plugins.ts";
import { routesSchema } from "./entities/routes.ts";
import { services } from "./entities/services.ts";
import { targets, upstreams } from "./entities/upstreams.ts";
import type { EntitySchema, SchemaContext } from "./types.ts";

export interface Registry {
  /** Collections in Kong's dependency order (what `populate_references` walks). */
  readonly order: readonly string[];
  readonly schemas: ReadonlyMap<string, EntitySchema>;
  /** Accepted top-level keys that are not validated (internal collections Kong tolerates). */
  readonly tolerated: ReadonlySet<string>;
  /** parent collection -> child collection -> field of the child that links to the parent. */
  readonly nesting: ReadonlyMap<string, ReadonlyMap<string, string>>;
}

const CREDENTIAL_COLLECTIONS = credentialSchemas.map(c => c.collection);

const NESTING: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  services: { routes: "service", plugins: "service", filter_chains: "service" },
  routes: { plugins: "route", filter_chains: "route" },
  consumers: {
    plugins: "consumer",
    ...Object.fromEntries(CREDENTIAL_COLLECTIONS.map(c => [c, "consumer"])),
  },
  upstreams: { targets: "upstream" },
  certificates: {
    snis: "certificate",
    services: "client_certificate",
    upstreams: "client_certificate",
  },
  key_sets: { keys: "set" },
};

/** Builds the collection registry for one validation context (router flavour, enabled plugins). */
export function buildRegistry(ctx: SchemaContext): Registry {
  const list: EntitySchema[] = [
    consumers,
    certificates,
    caCertificatesSchema(ctx),
    services,
    routesSchema(ctx),
    snis,
    upstreams,
    targets,
    pluginsSchema(ctx),
    ...credentialSchemas.filter(c => ctx.enabledPlugins.has(c.plugin)),
    vaults,
    keySets,
    keys,
    filterChains,
  ];
  const schemas = new Map(list.map(s => [s.collection, s]));
  const nesting = new Map<string, ReadonlyMap<string, string>>();
  for (const [parent, children] of Object.entries(NESTING)) {
    nesting.set(parent, new Map(Object.entries(children).filter(([child]) => schemas.has(child))));
  }
  return {
    order: list.map(s => s.collection),
    schemas,
    tolerated: new Set(["workspaces", "parameters", "clustering_data_planes"]),
    nesting,
  };
}

/** `entity_type` of a flattened error: the collection name minus its trailing `s`. */
export function entityType(collection: string): string {
  return collection.endsWith("s") ? collection.slice(0, -1) : collection;
}
