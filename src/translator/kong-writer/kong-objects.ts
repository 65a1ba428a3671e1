/**
 * Plugin objects' plugins and consumers in Kong's declarative format (kic-kong-resources.md §2.2,
 * §3.1): plugins at the top level naming their service, route and consumer; credentials nested in
 * their consumer by collection, each tagged with its Secret (a rejected credential maps back to it).
 */
import type { KongConsumer, KongPlugin } from "../../kong/types.ts";
import { compareStrings } from "../../util/compare.ts";
import { credentialCollectionOf } from "../credentials.ts";
import type { IrConsumer, IrPlugin, Origin } from "../ir/types.ts";
import { tagsFor } from "../tags.ts";
import { refOf } from "../../model/object-ref.ts";

function tagsOf(origin: Origin): readonly string[] {
  return tagsFor(refOf(origin.object), origin.tags);
}

export function writePlugins(plugins: readonly IrPlugin[]): KongPlugin[] {
  return plugins
    .map((p): KongPlugin => ({
      name: p.name,
      ...(p.instanceName === undefined ? {} : { instance_name: p.instanceName }),
      config: p.config,
      enabled: p.enabled,
      protocols: p.protocols,
      ...(p.service === undefined ? {} : { service: p.service }),
      ...(p.route === undefined ? {} : { route: p.route }),
      ...(p.consumer === undefined ? {} : { consumer: p.consumer }),
      tags: tagsOf(p.origin),
    }))
    .sort(comparePlugins);
}

function pluginKey(p: KongPlugin): string {
  return [p.name, p.service ?? "", p.route ?? "", p.consumer ?? "", p.instance_name ?? ""].join(
    "\u0000",
  );
}

function comparePlugins(a: KongPlugin, b: KongPlugin): number {
  return compareStrings(pluginKey(a), pluginKey(b));
}

export function writeConsumers(consumers: readonly IrConsumer[]): KongConsumer[] {
  return consumers
    .map(c => {
      const nested: Record<string, Record<string, unknown>[]> = {};
      for (const cred of c.credentials) {
        const collection = credentialCollectionOf(cred.type);
        (nested[collection] ??= []).push({ ...cred.fields, tags: tagsOf(cred.origin) });
      }
      for (const list of Object.values(nested))
        list.sort((a, b) => compareStrings(JSON.stringify(a), JSON.stringify(b)));
      const consumer: KongConsumer = {
        ...(c.username === undefined ? {} : { username: c.username }),
        ...(c.customId === undefined ? {} : { custom_id: c.customId }),
        tags: tagsOf(c.origin),
        ...Object.fromEntries(Object.entries(nested).sort(([a], [b]) => compareStrings(a, b))),
      };
      return consumer;
    })
    .sort((a, b) =>
      compareStrings(
        `${a.username ?? ""}\u0000${a.custom_id ?? ""}`,
        `${b.username ?? ""}\u0000${b.custom_id ?? ""}`,
      ),
    );
}
