/**
 * Reads manifest files and directories for the offline commands: multi-document YAML or JSON, `kind: List`
 * (and typed lists such as `IngressList`), each object checked by the model parser. A file that cannot be
 * read or parsed is a `ManifestError`; a bad object inside a good file is reported as data.
 */
import type { Dirent, Stats } from "node:fs";
import { readdir, readFile, realpath, stat } from "node:fs/promises";
import { extname, join, resolve, sep } from "node:path";
import { isMap, isNode, isSeq, LineCounter, parseAllDocuments, type Document } from "yaml";
import { ManifestError } from "../errors.ts";
import { compareStrings } from "../util/compare.ts";
import { checkYamlLimits, DEFAULT_YAML_LIMITS, type YamlLimits } from "./yaml-limits.ts";
import { parseKubeObject, type SupportedObject } from "../model/parse.ts";
import { isRecord } from "../util/is-record.ts";

/** Files bigger than this are refused unread: no real manifest comes close, and parsing one would stall. */
export const DEFAULT_MAX_FILE_BYTES = 16 * 1024 * 1024;

/** What one run reads over all its files: a directory of many files within the per-file limits adds up. */
export const DEFAULT_MAX_TOTAL_BYTES = 64 * 1024 * 1024;
export const DEFAULT_MAX_TOTAL_VALUES = 1_000_000;

const MANIFEST_EXTENSIONS: ReadonlySet<string> = new Set([".yaml", ".yml", ".json"]);

/** Where a document or list item starts: the file as the user named it, and a 1-based line. */
export interface Source {
  readonly file: string;
  readonly line: number;
}

export interface LoadedObject {
  readonly object: SupportedObject;
  readonly source: Source;
}

/** An object of a kind we handle whose content is invalid; translation goes on without it. */
export interface InvalidObject {
  readonly kind: string;
  readonly namespace?: string;
  readonly name?: string;
  readonly reason: string;
  readonly source: Source;
}

/** An object of a kind or API version the translation does not read. */
export interface SkippedObject {
  readonly kind: string;
  readonly apiVersion: string;
  readonly namespace: string;
  readonly name: string;
  readonly source: Source;
}

export interface LoadResult {
  /** In file order, then document order. */
  readonly objects: readonly LoadedObject[];
  readonly invalid: readonly InvalidObject[];
  readonly skipped: readonly SkippedObject[];
}

export interface LoadOptions {
  /** Relative paths are resolved against it. */
  readonly cwd: string;
  readonly maxFileBytes?: number;
  readonly yamlLimits?: YamlLimits;
  readonly maxTotalBytes?: number;
  readonly maxTotalValues?: number;
}

interface Accumulator {
  objects: LoadedObject[];
  invalid: InvalidObject[];
  skipped: SkippedObject[];
}

function errnoCode(err: unknown): string | undefined {
  return err instanceof Error && "code" in err && typeof err.code === "string"
    ? err.code
    : undefined;
}

const FS_ERRORS: Readonly<Record<string, string>> = {
  ENOENT: "no such file or directory",
  EACCES: "permission denied",
  EPERM: "permission denied",
  ENOTDIR: "a parent of this path is not a directory",
  ELOOP: "too many levels of symbolic links",
  EISDIR: "is a directory",
};

function describeFsError(err: unknown): string {
  const known = FS_ERRORS[errnoCode(err) ?? ""];
  if (known !== undefined) return known;
  return err instanceof Error ? err.message : String(err);
}

async function statOrThrow(file: string, absolute: string): Promise<Stats> {
  try {
    return await stat(absolute);
  } catch (err) {
    throw new ManifestError(file, `${file}: ${describeFsError(err)}`, undefined, { cause: err });
  }
}

interface WalkState {
  readonly files: string[];
  readonly visited: Set<string>;
  /** The real path of the directory named on the command line: links out of it are not followed. */
  readonly root: string;
}

/** Whether a symbolic link stays inside the directory tree being read. */
async function staysInside(absolute: string, root: string): Promise<boolean> {
  try {
    const target = await realpath(absolute);
    return target === root || target.startsWith(root.endsWith(sep) ? root : root + sep);
  } catch {
    // A dangling link: statOrThrow names it.
    return true;
  }
}

async function walkDirectory(shown: string, absolute: string, state: WalkState): Promise<void> {
  // Symbolic links may point back up the tree; each real directory is read once.
  const real = await realpath(absolute);
  if (state.visited.has(real)) return;
  state.visited.add(real);
  let entries: Dirent[];
  try {
    entries = await readdir(absolute, { withFileTypes: true });
  } catch (err) {
    throw new ManifestError(shown, `${shown}: ${describeFsError(err)}`, undefined, { cause: err });
  }
  for (const entry of entries) {
    const childShown = join(shown, entry.name);
    const childAbsolute = join(absolute, entry.name);
    // A link out of the tree (to /etc, a device, another repository) is not read.
    if (entry.isSymbolicLink() && !(await staysInside(childAbsolute, state.root))) continue;
    const info = entry.isSymbolicLink() ? await statOrThrow(childShown, childAbsolute) : entry;
    if (info.isDirectory()) await walkDirectory(childShown, childAbsolute, state);
    else if (info.isFile() && MANIFEST_EXTENSIONS.has(extname(entry.name).toLowerCase()))
      state.files.push(childShown);
  }
}

/**
 * The files to read, each as the user would name it: a file path as given (whatever its extension),
 * a directory's `.yaml`, `.yml` and `.json` files at any depth in code-unit order. Throws
 * `ManifestError` for a path that does not exist, is not a regular file, or is a directory without manifests.
 */
export async function listManifestFiles(paths: readonly string[], cwd: string): Promise<string[]> {
  const out: string[] = [];
  for (const path of paths) {
    const absolute = resolve(cwd, path);
    const info = await statOrThrow(path, absolute);
    if (info.isDirectory()) {
      const state: WalkState = { files: [], visited: new Set(), root: await realpath(absolute) };
      await walkDirectory(path, absolute, state);
      if (state.files.length === 0)
        throw new ManifestError(path, `${path}: no .yaml, .yml or .json files in this directory`);
      out.push(...state.files.sort(compareStrings));
    } else if (info.isFile()) out.push(path);
    else throw new ManifestError(path, `${path}: not a regular file or directory`);
  }
  return out;
}

async function readText(file: string, opts: Required<LoadOptions>): Promise<string> {
  const absolute = resolve(opts.cwd, file);
  const info = await statOrThrow(file, absolute);
  // Checked before reading: a FIFO or device would block or never end.
  if (!info.isFile()) throw new ManifestError(file, `${file}: not a regular file`);
  if (info.size > opts.maxFileBytes)
    throw new ManifestError(
      file,
      `${file}: ${info.size} bytes is over the ${opts.maxFileBytes}-byte limit for a manifest file`,
    );
  let bytes: Buffer;
  try {
    bytes = await readFile(absolute);
  } catch (err) {
    throw new ManifestError(file, `${file}: ${describeFsError(err)}`, undefined, { cause: err });
  }
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch (err) {
    throw new ManifestError(file, `${file}: not UTF-8 text`, undefined, { cause: err });
  }
}

interface ParsedDocument {
  readonly value: unknown;
  readonly line: number;
  readonly doc: Document;
}

function lineAt(counter: LineCounter, offset: number | undefined): number {
  return offset === undefined ? 1 : counter.linePos(offset).line;
}

/** The documents of one file as plain data, each with the line it starts on; null documents dropped. */
function parseDocuments(
  file: string,
  text: string,
  counter: LineCounter,
  limits: YamlLimits & { used?: { values: number } },
): ParsedDocument[] {
  const excess = checkYamlLimits(text, limits, limits.used);
  if (excess !== undefined)
    throw new ManifestError(file, `${file}:${excess.line}: ${excess.message}`, excess.line);
  const docs = parseAllDocuments(text, { lineCounter: counter, prettyErrors: false });
  const out: ParsedDocument[] = [];
  for (const doc of docs) {
    const error = doc.errors[0];
    if (error !== undefined) {
      const line = lineAt(counter, error.pos[0]);
      throw new ManifestError(file, `${file}:${line}: ${error.message}`, line);
    }
    const value: unknown = doc.toJS({ maxAliasCount: 100 });
    if (value === null || value === undefined) continue;
    out.push({ value, line: lineAt(counter, doc.contents?.range[0]), doc });
  }
  return out;
}

function itemLines(doc: Document, counter: LineCounter, fallback: number): (i: number) => number {
  const items = isMap(doc.contents) ? doc.contents.get("items", true) : undefined;
  return i => {
    const node: unknown = isSeq(items) ? items.items[i] : undefined;
    const range = isNode(node) ? node.range : undefined;
    return range === undefined || range === null ? fallback : lineAt(counter, range[0]);
  };
}

function addObject(raw: unknown, source: Source, acc: Accumulator): void {
  if (!isRecord(raw) || typeof raw["kind"] !== "string" || typeof raw["apiVersion"] !== "string") {
    const what = isRecord(raw) ? "a mapping without apiVersion and kind" : typeof raw;
    throw new ManifestError(
      source.file,
      `${source.file}:${source.line}: not a Kubernetes object (found ${Array.isArray(raw) ? "a list" : what})`,
      source.line,
    );
  }
  const parsed = parseKubeObject(raw);
  if (parsed.ok === true) acc.objects.push({ object: parsed.object, source });
  else if (parsed.ok === "unsupported") acc.skipped.push({ ...parsed, source });
  else {
    acc.invalid.push({
      kind: parsed.kind ?? raw["kind"],
      ...(parsed.namespace === undefined ? {} : { namespace: parsed.namespace }),
      ...(parsed.name === undefined ? {} : { name: parsed.name }),
      reason: parsed.reason,
      source,
    });
  }
}

/** `kind: List` and typed lists (`ServiceList`); typed list items come without apiVersion and kind. */
function listItems(value: Record<string, unknown>): unknown[] | undefined {
  const kind = value["kind"];
  if (typeof kind !== "string" || !kind.endsWith("List") || !Array.isArray(value["items"]))
    return undefined;
  const itemKind = kind === "List" ? undefined : kind.slice(0, -"List".length);
  const apiVersion = value["apiVersion"];
  return value["items"].map((item: unknown) =>
    itemKind !== undefined && isRecord(item) ? { apiVersion, kind: itemKind, ...item } : item,
  );
}

function parseDocumentsSafely(
  file: string,
  text: string,
  counter: LineCounter,
  limits: YamlLimits & { used?: { values: number } },
): ParsedDocument[] {
  try {
    return parseDocuments(file, text, counter, limits);
  } catch (err) {
    if (err instanceof ManifestError) throw err;
    // The YAML library can still fail on pathological input (e.g. nesting deeper than the stack).
    const reason = err instanceof Error ? err.message : String(err);
    throw new ManifestError(file, `${file}: cannot parse: ${reason}`, undefined, { cause: err });
  }
}

function addFile(
  file: string,
  text: string,
  acc: Accumulator,
  limits: YamlLimits & { used?: { values: number } },
): void {
  const counter = new LineCounter();
  const docs = parseDocumentsSafely(file, text, counter, limits);
  for (const { value, line, doc } of docs) {
    const items = isRecord(value) ? listItems(value) : undefined;
    if (items === undefined) {
      addObject(value, { file, line }, acc);
      continue;
    }
    const lineOf = itemLines(doc, counter, line);
    items.forEach((item, i) => {
      addObject(item, { file, line: lineOf(i) }, acc);
    });
  }
}

/**
 * Reads every manifest under `paths`. Throws `ManifestError` (naming the file, and the line for YAML
 * errors) when a path cannot be read, a file is too big, is not UTF-8 or not YAML/JSON, or holds a
 * document that is not a Kubernetes object. Objects of other kinds are returned as `skipped`, invalid
 * objects of our kinds as `invalid`.
 */
export async function loadManifests(
  paths: readonly string[],
  options: LoadOptions,
): Promise<LoadResult> {
  const opts = {
    maxFileBytes: DEFAULT_MAX_FILE_BYTES,
    yamlLimits: DEFAULT_YAML_LIMITS,
    maxTotalBytes: DEFAULT_MAX_TOTAL_BYTES,
    maxTotalValues: DEFAULT_MAX_TOTAL_VALUES,
    ...options,
  };
  const acc: Accumulator = { objects: [], invalid: [], skipped: [] };
  const total = { bytes: 0, values: 0 };
  for (const file of await listManifestFiles(paths, opts.cwd)) {
    const text = await readText(file, opts);
    total.bytes += Buffer.byteLength(text);
    if (total.bytes > opts.maxTotalBytes)
      throw new ManifestError(
        file,
        `${file}: the files read so far hold ${total.bytes} bytes, over the ${opts.maxTotalBytes}-byte limit for one run`,
      );
    const used = { values: 0 };
    const maxValues = Math.min(opts.yamlLimits.maxValues, opts.maxTotalValues - total.values);
    addFile(file, text, acc, { ...opts.yamlLimits, maxValues, used });
    total.values += used.values;
  }
  return acc;
}
