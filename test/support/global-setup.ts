/**
 * Runs once per `vitest run`, before any test file. A fresh machine has no kube-apiserver yet and builds
 * one from the Go modules (minutes); doing it here keeps that out of every file's beforeAll timeout and
 * stops two files from racing to build. Runs that select only unit or golden tests skip it.
 */
import { resolveKubeBinaries } from "./kube/binaries.ts";

const NEEDS_CLUSTER = /integration|e2e/;

function selectedFilters(argv: readonly string[]): string[] {
  const runIndex = argv.findIndex(a => a === "run");
  return argv.slice(runIndex < 0 ? 2 : runIndex + 1).filter(a => !a.startsWith("-"));
}

export async function setup(): Promise<void> {
  const filters = selectedFilters(process.argv);
  if (filters.length > 0 && !filters.some(f => NEEDS_CLUSTER.test(f))) return;
  const started = Date.now();
  const { version } = await resolveKubeBinaries();
  process.stderr.write(
    `kube-apiserver ${version} ready for integration tests (${String(Date.now() - started)} ms)\n`,
  );
}
