/**
 * The yaml package, loaded when first used rather than with the module graph. It is 72 modules and
 * about 10 MiB of RSS, and `kongress run` reads YAML only on paths most runs never take: a kubeconfig
 * file (a pod uses its service account), a KongPlugin config that is not JSON, Kong's dump of a config
 * this controller did not push. Node's `require` loads it synchronously, so the translator stays
 * synchronous; after the first call it is a lookup in Node's module cache.
 */
import { createRequire } from "node:module";
import type * as Yaml from "yaml";

const requireHere = createRequire(import.meta.url);

export function yaml(): typeof Yaml {
  return requireHere("yaml") as typeof Yaml;
}
