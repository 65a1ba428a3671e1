/**
 * `npm run bench`: the offline translation benchmark, then the live one against a real API server
 * (docs/benchmarks.md), each followed by its hostile-tenant part (`BENCH_HOSTILE=0` skips those).
 * `BENCH_OFFLINE=0` or `BENCH_LIVE=0` skips a part; the other BENCH_* knobs are read by each part. Figures come from this machine only; compare runs on the same machine.
 */
import { cpus, loadavg, totalmem } from "node:os";
import { runHostileOffline } from "./hostile-offline.ts";
import { runHostileLive } from "./live/hostile-live.ts";
import { enabled, readLiveKnobs } from "./live/knobs.ts";
import { runLive } from "./live/run-live.ts";
import { runOffline } from "./offline.ts";

const write = (text: string): void => {
  process.stdout.write(text);
};

const knobs = readLiveKnobs(process.env);
write(
  `node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, load ${loadavg()
    .map(l => l.toFixed(1))
    .join(" ")}\n\n`,
);
const hostile = enabled(process.env, "BENCH_HOSTILE");
if (enabled(process.env, "BENCH_OFFLINE")) {
  runOffline((process.env["BENCH_SIZES"] ?? "100,1000,3333").split(",").map(Number), write);
  write("\n");
  if (hostile) {
    runHostileOffline(write);
    write("\n");
  }
}
if (enabled(process.env, "BENCH_LIVE")) {
  if (knobs.scales.length > 0 && !(await runLive(knobs, write))) process.exitCode = 1;
  if (hostile && !(await runHostileLive(knobs, write))) process.exitCode = 1;
}
