import { stringify } from "yaml";
import type { KongConfig } from "../kong/types.ts";
import { sortKeys } from "../util/stable-json.ts";

export const OUTPUT_FORMATS = ["json", "yaml"] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export function isOutputFormat(value: string): value is OutputFormat {
  return (OUTPUT_FORMATS as readonly string[]).includes(value);
}

/**
 * The config as text with keys in canonical order: 2-space indented JSON, or YAML with multi-line values
 * (PEM) as block scalars and no line folding. Ends with a newline.
 */
export function renderConfig(config: KongConfig, format: OutputFormat): string {
  return renderDocument(sortKeys(config), format);
}

/** Any document as {@link renderConfig} writes the config, keys as given. */
export function renderDocument(canonical: unknown, format: OutputFormat): string {
  return format === "json"
    ? `${JSON.stringify(canonical, null, 2)}\n`
    : stringify(canonical, { lineWidth: 0, aliasDuplicateObjects: false });
}
