/** prometheus config schema (Kong 3.x `kong/plugins/prometheus/schema.lua`). */
import * as t from "../typedefs.ts";
import type { FieldDef } from "../types.ts";
import type { PluginDef } from "./types.ts";

// Not `required`: unlike most plugins' flags these may be set to null.
const flag: FieldDef = { type: "boolean", default: false };

export const prometheus: PluginDef = {
  name: "prometheus",
  priority: 13,
  protocols: t.PROTOCOLS,
  defaultProtocols: t.PROTOCOLS,
  config: {
    type: "record",
    required: true,
    fields: [
      ["per_consumer", flag],
      ["status_code_metrics", flag],
      ["ai_metrics", flag],
      ["latency_metrics", flag],
      ["bandwidth_metrics", flag],
      ["upstream_health_metrics", flag],
    ],
  },
};
