import { createRequire } from "node:module";
import { Writable } from "node:stream";
import { pino, type DestinationStream, type LogFn, type Logger, type LoggerOptions } from "pino";
import type { PinoPretty } from "pino-pretty";
import { escapeControl } from "../util/escape-control.ts";
import { REDACTED, stripPrivateKeys } from "../util/private-keys.ts";

/**
 * Fields never written in clear text, wherever a caller logs them: Admin API credentials (under the
 * config keys and as HTTP headers), TLS private keys, and generic secrets. pino matches `*` against
 * exactly one level, so each field is listed at the top level and one level down.
 */
export const REDACT_PATHS: readonly string[] = [
  "kongAdminToken",
  "kongAdminTlsClientKey",
  "kongAdminHeader",
  "adminToken",
  "token",
  "password",
  "headers.authorization",
  'headers["kong-admin-token"]',
  "tls.key",
].flatMap(path => [path, `*.${path}`]);

/**
 * Hides secret values in text. The controller passes one that knows the secrets of the configs it
 * built (src/kong/redact.ts `SecretScrubber`), so a secret Kong quotes in an error never reaches a log.
 */
export interface LogScrubber {
  scrubText(text: string): string;
}

/** Nesting deeper than this is logged as it is: log objects are shallow, and the walk must end. */
const MAX_SCRUB_DEPTH = 10;

/**
 * A copy of a log object with `string` applied to every string (it gets the string's key) and `key`
 * to every key, at any depth. Errors are serialised first (pino's `err` serializer then finds a plain
 * object), so their message, stack and the properties they carry (a rejection's failures) are mapped
 * too.
 */
function mapLogObject(
  value: unknown,
  string: (s: string, key: string | undefined) => string,
  key: (k: string) => string = k => k,
): unknown {
  const seen = new WeakSet<object>();
  const visit = (v: unknown, depth: number, name: string | undefined): unknown => {
    if (typeof v === "string") return string(v, name);
    if (v === null || typeof v !== "object" || depth > MAX_SCRUB_DEPTH || seen.has(v)) return v;
    seen.add(v);
    if (v instanceof Error) return visit(pino.stdSerializers.err(v), depth, name);
    if (Array.isArray(v)) return v.map(item => visit(item, depth + 1, undefined));
    if (v instanceof Map || v instanceof Set || ArrayBuffer.isView(v)) return v;
    const out: Record<string, unknown> = {};
    for (const [k, child] of Object.entries(v)) out[key(k)] = visit(child, depth + 1, k);
    return out;
  };
  return visit(value, 0, undefined);
}

/** A copy of a log object with every string scrubbed and PEM private keys cut out, at any depth. */
function scrubLogObject(value: unknown, scrubber: LogScrubber | undefined): unknown {
  return mapLogObject(value, s => scrubbedText(s, scrubber));
}

function scrubbedText(s: string, scrubber: LogScrubber | undefined): string {
  return stripPrivateKeys(scrubber?.scrubText(s) ?? s);
}

/** A stack frame line (`    at fn (file:1:2)`): the only lines of a stack that stay lines. */
const STACK_FRAME = /^\s+at /;

/**
 * A stack for a text log: its frames keep their lines, while every control character in the rest (the
 * message at its head, which may quote an object's name or an annotation) is escaped, a newline too.
 * Text from outside can then start no line but an indented frame, never one that reads as a record.
 */
export function escapeStack(stack: string): string {
  const [head = "", ...rest] = stack.split("\n");
  let out = escapeControl(head);
  for (const line of rest)
    out += STACK_FRAME.test(line) ? `\n${escapeControl(line)}` : `\\x0a${escapeControl(line)}`;
  return out;
}

/** A log string for a text log: control characters escaped, stacks by {@link escapeStack}. */
function textString(s: string, key: string | undefined): string {
  return key === "stack" ? escapeStack(s) : escapeControl(s);
}

/**
 * A copy of a log object for a text log: scrubbed as {@link scrubLogObject} does, with control
 * characters escaped in every key and string. JSON logs need no escaping: JSON escapes them itself.
 */
function textLogObject(value: unknown, scrubber: LogScrubber | undefined): unknown {
  return mapLogObject(value, (s, key) => textString(scrubbedText(s, scrubber), key), escapeControl);
}

export interface CreateLoggerOptions {
  readonly level: "trace" | "debug" | "info" | "warn" | "error" | "fatal";
  /** `json`: one object per line; `text`: pino-pretty lines for a terminal. */
  readonly format: "json" | "text";
  /** Reported as the root `version` binding. */
  readonly version: string;
  /** Where lines go; stdout by default. */
  readonly destination?: DestinationStream | NodeJS.WritableStream;
  /** Colour text lines; by default only when the terminal supports it. */
  readonly colorize?: boolean;
  /** Secret values to hide in every log object; PEM private keys are hidden regardless. */
  readonly scrubber?: LogScrubber;
}

/**
 * pino-pretty pipes into a stream; a bare `{ write }` sink (the CLI's stdout in tests, any
 * DestinationStream) is wrapped in one so text logs can go wherever JSON logs can.
 */
function prettyDestination(
  destination: CreateLoggerOptions["destination"],
): number | NodeJS.WritableStream {
  if (destination === undefined) return 1;
  if ("on" in destination && typeof destination.on === "function") return destination;
  return new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      destination.write(chunk.toString());
      done();
    },
  });
}

function textStream(opts: CreateLoggerOptions): DestinationStream {
  // Loaded only for text logs: the default JSON format does not pay its memory (about 10 MiB).
  const pretty = createRequire(import.meta.url)("pino-pretty") as { PinoPretty: typeof PinoPretty };
  return pretty.PinoPretty({
    destination: prettyDestination(opts.destination),
    translateTime: "SYS:standard",
    ignore: "pid,hostname,service,version",
    sync: true,
    ...(opts.colorize === undefined ? {} : { colorize: opts.colorize }),
  });
}

/**
 * The root logger: bindings `{ service, version }`, redaction of credentials and keys (by path, and by
 * value through the scrubber), errors under `err`. Components take `logger.child({ component })`; nothing holds a global logger.
 */
export function createLogger(opts: CreateLoggerOptions): Logger {
  const text = opts.format === "text";
  const options = {
    level: opts.level,
    base: { service: "kongress", version: opts.version },
    redact: { paths: [...REDACT_PATHS], censor: REDACTED },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: {
      level: (label: string) => ({ level: label }),
      log: (object: Record<string, unknown>) => {
        return (
          text ? textLogObject(object, opts.scrubber) : scrubLogObject(object, opts.scrubber)
        ) as Record<string, unknown>;
      },
    },
  };
  if (text) {
    const textOptions: LoggerOptions = {
      ...options,
      formatters: {
        ...options.formatters,
        bindings: bindings => textLogObject(bindings, undefined) as Record<string, unknown>,
      },
      // A text line shows the message as it is; its arguments may quote what came from outside.
      hooks: { logMethod: escapeMessageArguments },
    };
    return pino(textOptions, textStream(opts));
  }
  return opts.destination === undefined ? pino(options) : pino(options, opts.destination);
}

function escapeMessageArguments(this: Logger, args: Parameters<LogFn>, method: LogFn): void {
  const escaped = args.map(arg => (typeof arg === "string" ? escapeControl(arg) : arg));
  method.apply(this, escaped as Parameters<LogFn>);
}

/** The one info line per push (STYLE §3.4 push fields). */
export interface PushLog {
  readonly dataplane: string;
  readonly configHash: string;
  readonly sizeBytes: number;
  readonly durationMs: number;
  /** e.g. `applied`, `unchanged`, `rejected`, `busy`, `unreachable`. */
  readonly outcome: string;
  readonly fallback: boolean;
  readonly attempt?: number;
  readonly err?: unknown;
}

/** Logs a push with the project's field names: info when Kong took it, warn otherwise. */
export function logPush(logger: Logger, push: PushLog, accepted: boolean): void {
  if (accepted) logger.info(push, "Pushed config to Kong");
  else logger.warn(push, "Config push to Kong failed");
}
