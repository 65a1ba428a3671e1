import type { EntityCheck, FieldDef } from "../types.ts";

/** What the validator knows about one bundled plugin (its `schema.lua`, reduced to what we check). */
export interface PluginDef {
  readonly name: string;
  /** Handler priority, reported by `GET /` under `plugins.available_on_server`. */
  readonly priority: number;
  /** Protocols the plugin runs on (`protocols` elements must be among them); default: the HTTP set. */
  readonly protocols?: readonly string[];
  /** Default of `protocols`, when it differs from the allowed list. */
  readonly defaultProtocols?: readonly string[];
  /** Plugins that cannot be scoped to a consumer (`typedefs.no_consumer`). */
  readonly noConsumer?: boolean;
  /** The `config` record; absent means "any config accepted". */
  readonly config?: FieldDef;
  /** Checks over the whole plugin record, with `config.`-prefixed paths. */
  readonly entityChecks?: readonly EntityCheck[];
}
