import { spawn } from "node:child_process";

/** Outcome of a finished command. A non-zero exit is data, not an exception. */
export interface CommandResult {
  readonly stdout: string;
  readonly stderr: string;
  readonly code: number;
}

export interface RunOptions {
  readonly stdin?: string;
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Called with each complete stderr line as it arrives (for long builds). */
  readonly onStderrLine?: (line: string) => void;
  readonly timeoutMs?: number;
}

/**
 * Runs a command to completion and collects its output. Rejects only when the command cannot be
 * started or exceeds `timeoutMs`; a death by signal is reported as code -1.
 */
export function runCommand(
  file: string,
  args: readonly string[],
  opts: RunOptions = {},
): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      stdio: ["pipe", "pipe", "pipe"],
      timeout: opts.timeoutMs,
      killSignal: "SIGKILL",
    });
    let stdout = "";
    let stderr = "";
    let partial = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
      if (opts.onStderrLine === undefined) return;
      const lines = (partial + chunk).split("\n");
      partial = lines.pop() ?? "";
      lines.forEach(opts.onStderrLine);
    });
    child.on("error", err => {
      reject(new Error(`cannot run ${file}: ${err.message}`, { cause: err }));
    });
    child.on("close", (code, signal) => {
      if (partial !== "") opts.onStderrLine?.(partial);
      if (signal !== null && opts.timeoutMs !== undefined && child.killed) {
        reject(
          new Error(`${file} ${args.join(" ")} timed out after ${opts.timeoutMs} ms\n${stderr}`),
        );
        return;
      }
      resolve({ stdout, stderr, code: code ?? -1 });
    });
    // A command that exits without reading stdin must not turn into an EPIPE crash.
    child.stdin.on("error", () => undefined);
    child.stdin.end(opts.stdin ?? "");
  });
}
