/**
 * `kongress playground`: from a clone, runs test/e2e/playground.ts (a real kube-apiserver and etcd,
 * a Kong Admin API emulator and this controller, with examples/ applied). The playground is built
 * from the test harness, which the image does not ship: there the command says where to find it.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { EXIT_OK, EXIT_USAGE, type CliContext, type Command } from "./command.ts";

const HELP = `Usage: kongress playground

Starts a local kube-apiserver and etcd (built from the Go modules on first use, then cached), a Kong
Admin API emulator and the controller; applies examples/; prints what Kong holds, the Ingress,
Gateway and HTTPRoute statuses and a kubeconfig for your own manifests. Ctrl-C stops everything and
removes what it made. Needs a clone of the repository, Go and kubectl (same as npm run playground).
`;

// Resolved from this file, in src/cli/ (a checkout) or dist/cli/ (the image, which has no test/).
const SCRIPT = fileURLToPath(new URL("../../test/e2e/playground.ts", import.meta.url));

function runPlayground(script: string): Promise<number> {
  const child = spawn(process.execPath, [script], { stdio: "inherit" });
  // Ctrl-C reaches the playground too (same process group); a signal sent to this process alone
  // is passed on, so the playground always cleans up before this command returns.
  const forward = (signal: NodeJS.Signals): void => {
    child.kill(signal);
  };
  process.on("SIGINT", forward);
  process.on("SIGTERM", forward);
  return new Promise(resolve => {
    child.once("exit", code => {
      process.off("SIGINT", forward);
      process.off("SIGTERM", forward);
      resolve(code ?? 1);
    });
  });
}

export const playgroundCommand: Command = {
  name: "playground",
  summary: "Try kongress locally: API server, Kong emulator and controller, examples applied.",
  help: () => HELP,
  async run(args: readonly string[], ctx: CliContext): Promise<number> {
    if (args.length > 0) {
      ctx.stderr.write(`kongress playground: takes no arguments\n`);
      return EXIT_USAGE;
    }
    if (!existsSync(SCRIPT)) {
      ctx.stderr.write(
        "kongress playground: runs from a clone of the repository (npm ci && npm run playground); this installation has no test harness.\n",
      );
      return EXIT_USAGE;
    }
    const code = await runPlayground(SCRIPT);
    return code === 0 ? EXIT_OK : code;
  },
};
