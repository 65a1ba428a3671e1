/**
 * Runs once per `vitest run`, before any test file. A fresh machine has no kube-apiserver yet and builds
 * one from the Go modules (minutes); doing it here keeps that out of every file's beforeAll timeout and
 * stops two files from racing to build. Runs that select only unit or golden tests skip it.
 */
import { resolveKubeBinaries } from "./kube/binaries.ts";
import { resolveControlPlaneBinaries } from "./kube/control-plane.ts";
import { resolveHelm } from "../chart/helm.ts";

const NEEDS_CLUSTER = /integration|e2e|conformance|chart|image/;
// Helm 3 and 4 from the Go module proxy (minutes cold, cached by version), for the chart tests.
const NEEDS_HELM = /chart/;
// The conformance run also needs kube-controller-manager, kube-scheduler, kwok and its Go driver:
// minutes of compiling on a fresh machine, better done before any timed test runs beside it.
const NEEDS_CONFORMANCE = /conformance/;

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
  if (filters.length === 0 || filters.some(f => NEEDS_HELM.test(f))) {
    const helmStarted = Date.now();
    await Promise.all([resolveHelm(3), resolveHelm(4)]);
    process.stderr.write(`helm 3 and 4 ready (${String(Date.now() - helmStarted)} ms)\n`);
  }
  if (filters.length > 0 && !filters.some(f => NEEDS_CONFORMANCE.test(f))) return;
  const conformanceStarted = Date.now();
  // Also builds the driver: test/conformance/build.sh makes kwok and the driver together.
  await resolveControlPlaneBinaries();
  process.stderr.write(
    `control plane, kwok and conformance driver ready (${String(Date.now() - conformanceStarted)} ms)\n`,
  );
}
