/**
 * Kubernetes Events as leader-only work: every replica keeps judging which problems are new (so a
 * new leader knows them), but only one that runs this writes them.
 */
import type { EventRequest } from "../status/events.ts";
import { untilAborted } from "./leader-election.ts";

export interface LeaderOnlyEventsOptions {
  readonly recorder: { record(request: EventRequest): void };
  /** Every problem known now (ProblemEvents#current). */
  readonly current: () => readonly EventRequest[];
}

export class LeaderOnlyEvents {
  readonly #o: LeaderOnlyEventsOptions;
  #writing = false;

  constructor(opts: LeaderOnlyEventsOptions) {
    this.#o = opts;
  }

  /** Passes `request` on while `run` runs; drops it otherwise. */
  record(request: EventRequest): void {
    if (this.#writing) this.#o.recorder.record(request);
  }

  /**
   * Writes Events until `signal` aborts. It starts by writing every problem known now: this replica
   * cannot know which of them its predecessor wrote, and a repeat only bumps an existing Event's
   * count (the recorder names Events by object and problem), where a gap would lose one for good.
   */
  async run(signal: AbortSignal): Promise<void> {
    if (signal.aborted) return;
    this.#writing = true;
    for (const request of this.#o.current()) this.#o.recorder.record(request);
    await untilAborted(signal);
    this.#writing = false;
  }
}
