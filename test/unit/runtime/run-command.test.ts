/** `kongress run`'s exit statuses around the controller's life, with the controller and signals faked. */
import { describe, expect, it, vi } from "vitest";
import { createRunCommand, EXIT_FAILED, STOP_GRACE_MS } from "../../../src/cli/run-command.ts";
import type { Controller } from "../../../src/runtime/controller.ts";
import { ManualClock } from "../../support/manual-clock.ts";

const ARGS = ["--publish-status-address=192.0.2.1", "--log-level=fatal", "--term-delay=2s"];

function io() {
  let err = "";
  return {
    ctx: {
      stdout: { write: () => true },
      stderr: { write: (s: string) => (err += s) },
      cwd: "/",
      now: () => 0,
    },
    stderr: () => err,
  };
}

function fakeController(fatal: Promise<Error> = new Promise(() => undefined)) {
  const stop = vi.fn(() => Promise.resolve());
  const controller: Controller = {
    ports: { health: 1, metrics: 1 },
    fatal,
    readiness: () => ({ ready: true, reasons: [] }),
    stop,
  };
  return { controller, stop };
}

describe("kongress run", () => {
  /** A command over a fake controller, stopped by calling the returned `signal`. */
  function signalledRun(
    exitNow?: (code: number) => void,
    watchStop?: (opts: { readonly graceMs: number }) => void,
  ) {
    const clock = new ManualClock();
    const { controller, stop } = fakeController();
    let signal: (name: string) => void = () => undefined;
    const command = createRunCommand({
      env: () => ({}),
      stopSignal: () => new Promise(resolve => (signal = resolve)),
      clock,
      start: () => Promise.resolve(controller),
      ...(exitNow === undefined ? {} : { exitNow }),
      ...(watchStop === undefined ? {} : { watchStop }),
    });
    return {
      clock,
      stop,
      command,
      signal: (name: string) => {
        signal(name);
      },
    };
  }

  it("stops the controller after SIGTERM and --term-delay, and exits 0", async () => {
    const { clock, stop, command, signal } = signalledRun();
    const exit = command.run(ARGS, io().ctx);
    await clock.advance(10);
    signal("SIGTERM");
    await clock.advance(1999);
    expect(stop).not.toHaveBeenCalled();
    await clock.advance(1);
    expect(await exit).toBe(0);
    expect(stop).toHaveBeenCalledOnce();
  });

  it("starts the stop watchdog with the stop's grace as the stop begins, after --term-delay", async () => {
    const watchStop = vi.fn();
    const { clock, stop, command, signal } = signalledRun(undefined, watchStop);
    const exit = command.run(ARGS, io().ctx);
    await clock.advance(10);
    signal("SIGTERM");
    await clock.advance(1999);
    expect(watchStop).not.toHaveBeenCalled();
    await clock.advance(1);
    expect(await exit).toBe(0);
    expect(watchStop).toHaveBeenCalledExactlyOnceWith({ graceMs: STOP_GRACE_MS });
    expect(watchStop.mock.invocationCallOrder[0]).toBeLessThan(
      stop.mock.invocationCallOrder[0] ?? 0,
    );
  });

  it("exits 1 at once, without waiting further, when the stop overruns its grace", async () => {
    const exitNow = vi.fn();
    const { clock, stop, command, signal } = signalledRun(exitNow);
    stop.mockImplementation(() => new Promise(() => undefined));
    const exit = command.run(["--publish-status-address=192.0.2.1", "--log-level=fatal"], io().ctx);
    await clock.advance(10);
    signal("SIGTERM");
    await clock.advance(STOP_GRACE_MS - 1);
    expect(stop).toHaveBeenCalledOnce();
    expect(exitNow).not.toHaveBeenCalled();
    await clock.advance(1);
    expect(await exit).toBe(EXIT_FAILED);
    expect(exitNow).toHaveBeenCalledExactlyOnceWith(EXIT_FAILED);
  });

  it("stops cleanly, once started, on a signal that arrived while the controller was starting", async () => {
    const clock = new ManualClock();
    const { controller, stop } = fakeController();
    let started: (c: Controller) => void = () => undefined;
    let signal: (name: string) => void = () => undefined;
    const command = createRunCommand({
      env: () => ({}),
      stopSignal: () => new Promise(resolve => (signal = resolve)),
      clock,
      start: () => new Promise(resolve => (started = resolve)),
    });
    const exit = command.run(["--publish-status-address=192.0.2.1", "--log-level=fatal"], io().ctx);
    await clock.advance(0);
    signal("SIGTERM");
    await clock.advance(0);
    expect(stop).not.toHaveBeenCalled();
    started(controller);
    expect(await exit).toBe(0);
    expect(stop).toHaveBeenCalledOnce();
  });

  it("exits 1, after stopping, when the controller gives up at start-up", async () => {
    const { controller, stop } = fakeController(Promise.resolve(new Error("never synced")));
    const command = createRunCommand({
      env: () => ({}),
      stopSignal: () => new Promise(() => undefined),
      start: () => Promise.resolve(controller),
    });
    expect(await command.run(ARGS, io().ctx)).toBe(EXIT_FAILED);
    expect(stop).toHaveBeenCalledOnce();
  });

  it("exits 1 with one line on stderr when the controller cannot start", async () => {
    const command = createRunCommand({
      env: () => ({}),
      stopSignal: () => new Promise(() => undefined),
      start: () => Promise.reject(new Error("ENOENT: no kubeconfig")),
    });
    const { ctx, stderr } = io();
    expect(await command.run(ARGS, ctx)).toBe(EXIT_FAILED);
    expect(stderr()).toBe("kongress run: cannot start: ENOENT: no kubeconfig\n");
  });

  it("reads CONTROLLER_* settings from the environment it is given", async () => {
    const command = createRunCommand({
      env: () => ({ CONTROLLER_SYNC_HOLDOFF: "soon" }),
      stopSignal: () => new Promise(() => undefined),
      start: () => Promise.reject(new Error("not reached")),
    });
    await expect(command.run(ARGS, io().ctx)).rejects.toMatchObject({
      code: "ERR_CONFIG_INVALID",
      message: expect.stringContaining("CONTROLLER_SYNC_HOLDOFF") as unknown,
    });
  });
});
