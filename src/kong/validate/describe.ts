/**
 * One human-readable line per problem of a rejected config, for `kongress validate`:
 * `<entity_type> <name or id> (<kind>/<namespace>/<name>): <field>: <message>`.
 */
import type { FlatEntityError } from "./flatten.ts";
import { isRecord } from "./values.ts";

/** The subset of `KongValidationError` the description reads. */
export interface DescribableError {
  readonly flattened_errors: readonly FlatEntityError[];
  readonly fieldsWhenFlattened: unknown;
}

function tagValue(tags: readonly string[] | undefined, prefix: string): string | undefined {
  const tag = tags?.find(t => t.startsWith(prefix));
  return tag?.slice(prefix.length);
}

/** `Kind/namespace/name` from KIC-style `k8s-*` tags, or undefined without a kind and a name. */
export function objectFromTags(tags: readonly string[] | undefined): string | undefined {
  const kind = tagValue(tags, "k8s-kind:");
  const name = tagValue(tags, "k8s-name:");
  if (kind === undefined || name === undefined) return undefined;
  const namespace = tagValue(tags, "k8s-namespace:");
  return namespace === undefined || namespace === ""
    ? `${kind}/${name}`
    : `${kind}/${namespace}/${name}`;
}

function subject(entry: FlatEntityError): string {
  const who = entry.entity_name ?? entry.entity_id;
  const object = objectFromTags(entry.entity_tags);
  const head = who === undefined ? entry.entity_type : `${entry.entity_type} ${who}`;
  return object === undefined ? head : `${head} (${object})`;
}

function leftoverLines(tree: unknown, path: string, out: string[]): void {
  if (typeof tree === "string") {
    out.push(path === "" ? tree : `${path}: ${tree}`);
    return;
  }
  if (Array.isArray(tree)) {
    tree.forEach((v: unknown, i) => {
      if (v !== null) leftoverLines(v, path === "" ? String(i + 1) : `${path}.${i + 1}`, out);
    });
    return;
  }
  if (!isRecord(tree)) return;
  for (const key of Object.keys(tree).sort()) {
    leftoverLines(tree[key], path === "" ? key : `${path}.${key}`, out);
  }
}

/** One line per error: flattened entries first, then what could not be tied to an entity. */
export function describeProblems(error: DescribableError): string[] {
  const lines: string[] = [];
  for (const entry of error.flattened_errors) {
    const head = subject(entry);
    for (const e of entry.errors) {
      lines.push(
        e.type === "field" ? `${head}: ${e.field}: ${e.message}` : `${head}: ${e.message}`,
      );
    }
  }
  leftoverLines(error.fieldsWhenFlattened, "", lines);
  return lines;
}
