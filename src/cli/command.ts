/** What every `kongress` sub-command implements, and the exit statuses they share. */
import { ControllerError } from "../errors.ts";

/** Where a command writes; `process.stdout` fits, and so does a string collector in tests. */
export interface TextSink {
  write(chunk: string): unknown;
}

export interface CliContext {
  readonly stdout: TextSink;
  readonly stderr: TextSink;
  /** Relative paths on the command line are resolved against it. */
  readonly cwd: string;
  /** Milliseconds since the epoch; only Kong's CA-certificate expiry check reads it. */
  readonly now: () => number;
}

/** One sub-command. Adding a command to `kongress` is adding one of these to the table in main.ts. */
export interface Command {
  readonly name: string;
  /** One line for the top-level help. */
  readonly summary: string;
  /** The full `kongress <name> --help` text. */
  help(): string;
  /** Runs with the arguments after the command name; resolves to the exit status. */
  run(args: readonly string[], ctx: CliContext): Promise<number>;
}

/** Exit statuses: 0 all good, 1 some object has a problem, 2 usage, file or parse error. */
export const EXIT_OK = 0;
export const EXIT_PROBLEMS = 1;
export const EXIT_USAGE = 2;

/** The command line itself is wrong: unknown option, missing value, bad choice. */
export class UsageError extends ControllerError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("ERR_CLI_USAGE", message, options);
  }
}

/** Turns `node:util` parseArgs failures (which carry `ERR_PARSE_ARGS_*` codes) into a `UsageError`. */
export function asUsageError(err: unknown): UsageError | undefined {
  if (err instanceof UsageError) return err;
  const code = err instanceof Error && "code" in err ? err.code : undefined;
  if (typeof code === "string" && code.startsWith("ERR_PARSE_ARGS_"))
    return new UsageError((err as Error).message, { cause: err });
  return undefined;
}
