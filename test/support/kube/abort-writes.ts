/**
 * Run as its own process (a wedged event loop cannot report on itself): writes to the API server
 * that are aborted the moment their streams are handed to a fresh HTTP/2 session, and at a few
 * milliseconds after, as a stop at start-up aborts them. Prints one line and exits 0 once every
 * round has settled; a main thread that spins never gets there.
 *
 * Usage: node abort-writes.ts <kubeconfig> <namespace> <rounds>
 */
import diagnostics from "node:diagnostics_channel";
import { setTimeout as sleep } from "node:timers/promises";
import { createKubeClients } from "../../../src/kube/client.ts";

const [kubeconfig, namespace, roundsArg] = process.argv.slice(2);
if (kubeconfig === undefined || namespace === undefined)
  throw new Error("usage: <kubeconfig> <namespace> <rounds>");
const rounds = Number(roundsArg ?? "40");
/** Writes in flight together, as a controller starting up has (Lease, host claims, Events). */
const WRITES = 3;

let streamCreated: (() => void) | undefined;
diagnostics.subscribe("http2.client.stream.created", () => {
  streamCreated?.();
});

for (let round = 0; round < rounds; round++) {
  const kube = createKubeClients({ kubeconfig });
  const stop = new AbortController();
  // Even rounds abort right after the n-th write's stream got its body, before the session sends it;
  // odd rounds a few milliseconds into the new session.
  let created = 0;
  streamCreated =
    round % 2 === 0
      ? () => {
          if (++created !== 1 + ((round / 2) % WRITES)) return;
          queueMicrotask(() => {
            stop.abort();
          });
        }
      : undefined;
  const writes = Array.from({ length: WRITES }, (_, i) =>
    kube.api.send("POST", `/api/v1/namespaces/${namespace}/configmaps`, {
      signal: stop.signal,
      body: {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { generateName: `abort-${String(round)}-${String(i)}-` },
        data: { payload: "x".repeat(2_000) },
      },
    }),
  );
  if (round % 2 === 1) {
    await sleep((round >> 1) % 12);
    stop.abort();
  }
  await Promise.allSettled(writes);
  // The session still works after the aborts.
  await kube.api.getJson(`/api/v1/namespaces/${namespace}`, {
    signal: new AbortController().signal,
  });
  await kube.close();
}
streamCreated = undefined;
process.stdout.write(`${String(rounds)} rounds settled\n`);
