/**
 * `kongress`: the command table, top-level `--help` and `--version`, and the mapping of errors to exit
 * statuses. `runCli` does all the work against injected streams so tests run it in-process.
 */
import { ControllerError } from "../errors.ts";
import {
  asUsageError,
  EXIT_OK,
  EXIT_USAGE,
  type CliContext,
  type Command,
  type TextSink,
} from "./command.ts";
import { playgroundCommand } from "./playground-command.ts";
import { runControllerCommand } from "./run-command.ts";
import { translateCommand } from "./translate-command.ts";
import { validateCommand } from "./validate-command.ts";
import { packageVersion } from "./version.ts";

/** Every sub-command, in help order. */
export const COMMANDS: readonly Command[] = [
  translateCommand,
  validateCommand,
  runControllerCommand,
  playgroundCommand,
];

/** A bug, not bad input: the message carries the stack. */
export const EXIT_INTERNAL = 3;

export interface RunCliOptions {
  /** The arguments after the program name. */
  readonly argv: readonly string[];
  readonly stdout: TextSink;
  readonly stderr: TextSink;
  readonly cwd: string;
  /** Defaults to the system clock. */
  readonly now?: () => number;
  /** Defaults to the version in package.json. */
  readonly version?: string;
  /** Defaults to {@link COMMANDS}. */
  readonly commands?: readonly Command[];
}

function topHelp(commands: readonly Command[]): string {
  const width = Math.max(...commands.map(c => c.name.length));
  const lines = commands.map(c => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return `Usage: kongress <command> [options]

Commands:
${lines.join("\n")}

Options:
  -h, --help     Show this help; \`kongress <command> --help\` shows a command's own.
      --version  Print the version.
`;
}

function wantsHelp(args: readonly string[]): boolean {
  const end = args.indexOf("--");
  const options = end < 0 ? args : args.slice(0, end);
  return options.includes("--help") || options.includes("-h");
}

interface Dispatch {
  readonly opts: RunCliOptions;
  readonly commands: readonly Command[];
  readonly ctx: CliContext;
}

function usage(d: Dispatch, message: string, command?: Command): number {
  const helpHint = command === undefined ? "kongress --help" : `kongress ${command.name} --help`;
  const prefix = command === undefined ? "kongress" : `kongress ${command.name}`;
  d.opts.stderr.write(`${prefix}: ${message}\nRun '${helpHint}' for usage.\n`);
  return EXIT_USAGE;
}

async function runCommand(d: Dispatch, command: Command, args: readonly string[]): Promise<number> {
  if (wantsHelp(args)) {
    d.opts.stdout.write(command.help());
    return EXIT_OK;
  }
  try {
    return await command.run(args, d.ctx);
  } catch (err) {
    const usageError = asUsageError(err);
    if (usageError !== undefined) return usage(d, usageError.message, command);
    if (err instanceof ControllerError) {
      d.opts.stderr.write(`kongress ${command.name}: ${err.message}\n`);
      return EXIT_USAGE;
    }
    const detail = err instanceof Error ? (err.stack ?? err.message) : String(err);
    d.opts.stderr.write(`kongress ${command.name}: internal error (a bug): ${detail}\n`);
    return EXIT_INTERNAL;
  }
}

function helpFor(d: Dispatch, name: string | undefined): number {
  if (name === undefined) {
    d.opts.stdout.write(topHelp(d.commands));
    return EXIT_OK;
  }
  const command = d.commands.find(c => c.name === name);
  if (command === undefined) return usage(d, `unknown command ${JSON.stringify(name)}`);
  d.opts.stdout.write(command.help());
  return EXIT_OK;
}

/**
 * Runs one `kongress` invocation and resolves to its exit status: 0 success, 1 some object has a
 * problem, 2 usage, file or parse error, 3 internal error. Never rejects.
 */
export async function runCli(opts: RunCliOptions): Promise<number> {
  const commands = opts.commands ?? COMMANDS;
  const ctx: CliContext = {
    stdout: opts.stdout,
    stderr: opts.stderr,
    cwd: opts.cwd,
    now: opts.now ?? Date.now,
  };
  const d: Dispatch = { opts, commands, ctx };
  const [first, ...rest] = opts.argv;
  if (first === undefined) {
    opts.stderr.write(topHelp(commands));
    return EXIT_USAGE;
  }
  if (first === "--help" || first === "-h") return helpFor(d, undefined);
  if (first === "help") return helpFor(d, rest[0]);
  if (first === "--version") {
    opts.stdout.write(`${opts.version ?? packageVersion()}\n`);
    return EXIT_OK;
  }
  const command = commands.find(c => c.name === first);
  if (command === undefined)
    return usage(
      d,
      first.startsWith("-")
        ? `unknown option ${JSON.stringify(first)}`
        : `unknown command ${JSON.stringify(first)}`,
    );
  return runCommand(d, command, rest);
}

/** The process entry used by bin/kongress.js. */
export async function main(): Promise<void> {
  // A closed pipe (`kongress translate ... | head`) is not an error worth a stack trace.
  process.stdout.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code === "EPIPE") process.exit(process.exitCode ?? EXIT_OK);
    throw err;
  });
  process.exitCode = await runCli({
    argv: process.argv.slice(2),
    stdout: process.stdout,
    stderr: process.stderr,
    cwd: process.cwd(),
  });
}
