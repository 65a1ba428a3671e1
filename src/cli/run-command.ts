/**
 * `kongress run`: loads the settings (flags, then CONTROLLER_* variables, then defaults), starts the
 * controller, and runs until SIGTERM or SIGINT. Bad settings exit 2 with every problem listed; a
 * controller that cannot start, or gives up at start-up, exits 1; a clean stop exits 0; a stop that
 * overruns its grace exits 1, or 137 (SIGKILL from the stop watchdog) when the main thread is stuck
 * or the process does not exit after it.
 */
import { Registry } from "prom-client";
import type { Logger } from "pino";
import { renderHelp } from "../config/help.ts";
import { loadConfig } from "../config/load.ts";
import type { Config } from "../config/schema.ts";
import { ControllerError } from "../errors.ts";
import { startController, type Controller } from "../runtime/controller.ts";
import { SecretScrubber } from "../kong/redact.ts";
import { createLogger } from "../telemetry/logger.ts";
import { systemClock, type Clock } from "../util/clock.ts";
import { EXIT_OK, type CliContext, type Command } from "./command.ts";
import { startStopWatchdog } from "./stop-watchdog.ts";
import { packageVersion } from "./version.ts";

/** The controller could not start, or gave up during start-up. */
export const EXIT_FAILED = 1;

export interface RunCommandDeps {
  /** The environment the CONTROLLER_* settings and POD_NAME are read from. */
  readonly env: () => Readonly<Record<string, string | undefined>>;
  /** Resolves with the name of the first stop signal received. */
  readonly stopSignal: () => Promise<string>;
  readonly clock?: Clock;
  /** Tests inject a wrapper; defaults to the real controller. */
  readonly start?: typeof startController;
  /**
   * Ends the process at once with this status. Called only when the controller's stop overran
   * {@link STOP_GRACE_MS}: whatever it still waits for may also hold the event loop open.
   */
  readonly exitNow?: (code: number) => void;
  /**
   * Called as a stop begins: ends the process from another thread if it is still alive `graceMs`
   * (plus a margin) later, whatever its main thread does (stop-watchdog.ts).
   */
  readonly watchStop?: (opts: { readonly graceMs: number }) => void;
}

/**
 * How long a stop may take before the process exits without waiting for the rest. Every part stops
 * within a second or two when the API server and Kong answer; a stop that hangs on a dead connection
 * must not leave a terminal or a supervisor waiting (the kubelet would SIGKILL after 30 s anyway).
 */
export const STOP_GRACE_MS = 15_000;

/** How often a controller started by npm checks that npm's shell is still its parent. */
const PARENT_CHECK_MS = 250;

/**
 * SIGTERM (the kubelet) or SIGINT (a terminal), whichever comes first. With `watchParent`, also the
 * end of the parent process: `npx kongress run` runs the controller under npm's `sh -c`, and npm
 * passes a SIGTERM or SIGINT it receives to that shell, which dies of it without passing it on. The
 * controller would run on as an orphan, pushing and holding its ports.
 */
export function processStopSignal(
  options: { readonly watchParent?: boolean } = {},
): Promise<string> {
  return new Promise(resolve => {
    const parent = process.ppid;
    const parentCheck = options.watchParent
      ? setInterval(() => {
          if (process.ppid !== parent) stop("parent exited");
        }, PARENT_CHECK_MS).unref()
      : undefined;
    const onSignal = (signal: NodeJS.Signals): void => {
      stop(signal);
    };
    function stop(reason: string): void {
      clearInterval(parentCheck);
      process.off("SIGTERM", onSignal);
      process.off("SIGINT", onSignal);
      resolve(reason);
    }
    process.on("SIGTERM", onSignal);
    process.on("SIGINT", onSignal);
  });
}

/** npm sets `npm_lifecycle_event` for what it runs (`npx` for `npx kongress ...`, the script's name for `npm run`). */
export function startedByNpm(env: Readonly<Record<string, string | undefined>>): boolean {
  return env["npm_lifecycle_event"] !== undefined;
}

type Outcome =
  | { readonly kind: "signal"; readonly name: string }
  | { readonly kind: "fatal"; readonly err: Error };

/** Stops the controller; false when it did not finish within {@link STOP_GRACE_MS}. */
async function stopWithinGrace(
  controller: Controller,
  opts: { deps: RunCommandDeps; logger: Logger; clock: Clock },
): Promise<boolean> {
  // The timer below runs on the main thread; the watchdog covers a main thread that no longer runs.
  opts.deps.watchStop?.({ graceMs: STOP_GRACE_MS });
  const overran = new AbortController();
  const finished = await Promise.race([
    controller.stop().then(() => true),
    opts.clock.sleep(STOP_GRACE_MS, overran.signal).then(
      () => false,
      () => true,
    ),
  ]);
  overran.abort();
  if (!finished)
    opts.logger.error(
      { graceMs: STOP_GRACE_MS },
      "Stop did not finish in time; exiting without waiting for the rest",
    );
  return finished;
}

async function runUntilStopped(
  controller: Controller,
  opts: {
    deps: RunCommandDeps;
    config: Config;
    logger: Logger;
    clock: Clock;
    stopSignal: Promise<string>;
  },
): Promise<number> {
  const outcome: Outcome = await Promise.race([
    opts.stopSignal.then(name => ({ kind: "signal", name }) as const),
    controller.fatal.then(err => ({ kind: "fatal", err }) as const),
  ]);
  if (outcome.kind === "fatal") {
    opts.logger.fatal({ err: outcome.err }, "Controller gave up");
    if (!(await stopWithinGrace(controller, opts))) opts.deps.exitNow?.(EXIT_FAILED);
    return EXIT_FAILED;
  }
  opts.logger.info({ signal: outcome.name }, "Stop signal received");
  // KIC's --term-delay: keep serving while the endpoints controller takes this pod out of rotation.
  if (opts.config.termDelayMs > 0) await opts.clock.sleep(opts.config.termDelayMs);
  if (await stopWithinGrace(controller, opts)) return EXIT_OK;
  opts.deps.exitNow?.(EXIT_FAILED);
  return EXIT_FAILED;
}

function errorLine(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

async function run(
  deps: RunCommandDeps,
  args: readonly string[],
  ctx: CliContext,
): Promise<number> {
  const env = deps.env();
  // Throws ConfigSettingsInvalidError, which the CLI prints (every bad setting) and exits 2 for.
  const config = loadConfig({ argv: args, env });
  // One scrubber: the controller teaches it each config's secrets, the logger hides them.
  const secrets = new SecretScrubber();
  const logger = createLogger({
    level: config.logLevel,
    format: config.logFormat,
    version: packageVersion(),
    destination: ctx.stdout,
    scrubber: secrets,
  });
  const clock = deps.clock ?? systemClock;
  // Listened for before the start: a signal during start-up then stops the controller once it has
  // started, cleanly, instead of ending the process the instant it arrives.
  const stopSignal = deps.stopSignal();
  let controller: Controller;
  try {
    controller = await (deps.start ?? startController)({
      config,
      env,
      logger,
      registry: new Registry(),
      clock,
      secrets,
    });
  } catch (err) {
    // A ControllerError (no credentials, say) is a setting to fix, and its message says which and how:
    // a stack trace on top would bury it. Anything else is a bug, logged with its stack.
    if (!(err instanceof ControllerError)) logger.fatal({ err }, "Controller could not start");
    ctx.stderr.write(`kongress run: cannot start: ${errorLine(err)}\n`);
    return EXIT_FAILED;
  }
  return runUntilStopped(controller, { deps, config, logger, clock, stopSignal });
}

/** Builds the `run` command over the given process hooks. */
export function createRunCommand(deps: RunCommandDeps): Command {
  return {
    name: "run",
    summary: "Run the controller: watch Kubernetes, push the config to Kong, publish status.",
    help: renderHelp,
    run: (args, ctx) => run(deps, args, ctx),
  };
}

/** `kongress run` in this process: its environment and its signals. */
export const runControllerCommand: Command = createRunCommand({
  env: () => process.env,
  stopSignal: () => processStopSignal({ watchParent: startedByNpm(process.env) }),
  exitNow: code => process.exit(code),
  watchStop: startStopWatchdog,
});
