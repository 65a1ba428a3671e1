/**
 * Warning Events for the problems of objects, written when an object's problem set changes instead of on
 * every translation (issue 7). Each report names every problem one source sees now; a problem that was
 * not in that source's previous report is new and gets its Event, one that stays gets nothing more, one
 * that goes and comes back counts as new. Writes are limited per object: within `minIntervalMs` of the
 * last write for an object, new problems wait for the end of that window and are then written together,
 * minus those that went away meanwhile (the latest set wins; nothing still current is dropped).
 */
import { refKey, type ObjectRef } from "../model/object-ref.ts";
import type { Clock } from "../util/clock.ts";
import type { EventRequest } from "./events.ts";
import { MinHeap } from "./min-heap.ts";

/** Who reports: each replaces only its own part of an object's problems. */
export type ProblemSource = "translation" | "invalid" | "apply";

/** What the sync cycle and the status publisher report problems through. */
export interface ProblemReporter {
  /** `problems` is everything `source` sees wrong now; objects it no longer names are fine. */
  report(source: ProblemSource, problems: readonly EventRequest[]): void;
}

export interface ProblemEventsOptions {
  readonly recorder: { record(request: EventRequest): void };
  readonly clock: Clock;
  /** The shortest time between two writes for one object. */
  readonly minIntervalMs?: number;
}

interface ObjectProblems {
  ref: ObjectRef;
  /** Per source, the problems of its last report, by problem key. */
  readonly bySource: Map<ProblemSource, ReadonlyMap<string, EventRequest>>;
  /** New problems not written yet, by problem key. */
  readonly pending: Map<string, EventRequest>;
  lastWriteAt: number | undefined;
}

interface Due {
  readonly at: number;
  readonly object: string;
}

const DEFAULT_MIN_INTERVAL_MS = 10_000;

function objectKey(ref: ObjectRef): string {
  // The uid keeps a re-created object from inheriting what its predecessor was told.
  return `${refKey(ref)}#${ref.uid ?? ""}`;
}

function problemKey(r: EventRequest): string {
  return JSON.stringify([r.type, r.reason, r.message]);
}

function groupByObject(
  problems: readonly EventRequest[],
): Map<string, { ref: ObjectRef; problems: Map<string, EventRequest> }> {
  const out = new Map<string, { ref: ObjectRef; problems: Map<string, EventRequest> }>();
  for (const p of problems) {
    const key = objectKey(p.ref);
    let group = out.get(key);
    if (group === undefined) {
      group = { ref: p.ref, problems: new Map() };
      out.set(key, group);
    }
    group.problems.set(problemKey(p), p);
  }
  return out;
}

const NONE: ReadonlyMap<string, EventRequest> = new Map();

function isCurrent(state: ObjectProblems, problem: string): boolean {
  for (const current of state.bySource.values()) if (current.has(problem)) return true;
  return false;
}

export class ProblemEvents implements ProblemReporter {
  readonly #o: ProblemEventsOptions;
  readonly #intervalMs: number;
  readonly #objects = new Map<string, ObjectProblems>();
  /** The objects each source named last time. */
  readonly #named = new Map<ProblemSource, ReadonlySet<string>>();
  /** When each object needs another look: a delayed write, or forgetting it. */
  readonly #due = new Map<string, number>();
  readonly #timeline = new MinHeap<Due>((a, b) => a.at < b.at);
  readonly #closed = new AbortController();
  #timer: { readonly at: number; readonly cancel: AbortController } | undefined;

  constructor(options: ProblemEventsOptions) {
    this.#o = options;
    this.#intervalMs = options.minIntervalMs ?? DEFAULT_MIN_INTERVAL_MS;
  }

  report(source: ProblemSource, problems: readonly EventRequest[]): void {
    const now = this.#o.clock.now();
    const grouped = groupByObject(problems);
    for (const [key, group] of grouped) this.#update(key, { source, ...group }, now);
    for (const key of this.#named.get(source) ?? []) {
      if (!grouped.has(key)) this.#update(key, { source, ref: undefined, problems: NONE }, now);
    }
    this.#named.set(source, new Set(grouped.keys()));
    this.#arm();
  }

  /** Every problem known now, once each: what a replica that starts writing Events writes first. */
  current(): EventRequest[] {
    const out: EventRequest[] = [];
    for (const state of this.#objects.values()) {
      const problems = new Map<string, EventRequest>();
      for (const bySource of state.bySource.values())
        for (const [key, request] of bySource) problems.set(key, request);
      out.push(...problems.values());
    }
    return out;
  }

  /** Cancels the timer of delayed writes; what waits is not written. */
  close(): void {
    this.#closed.abort();
  }

  #update(
    key: string,
    report: {
      readonly source: ProblemSource;
      readonly ref: ObjectRef | undefined;
      readonly problems: ReadonlyMap<string, EventRequest>;
    },
    now: number,
  ): void {
    const { source, ref, problems: next } = report;
    let state = this.#objects.get(key);
    if (state === undefined) {
      if (ref === undefined || next.size === 0) return;
      state = { ref, bySource: new Map(), pending: new Map(), lastWriteAt: undefined };
      this.#objects.set(key, state);
    }
    if (ref !== undefined) state.ref = ref;
    const before = state.bySource.get(source) ?? NONE;
    for (const [k, request] of next) if (!before.has(k)) state.pending.set(k, request);
    if (next.size === 0) state.bySource.delete(source);
    else state.bySource.set(source, next);
    this.#settle(key, state, now);
  }

  /** Writes what may be written now; otherwise notes when to look again, or forgets the object. */
  #settle(key: string, state: ObjectProblems, now: number): void {
    for (const k of state.pending.keys()) if (!isCurrent(state, k)) state.pending.delete(k);
    const windowEnd = (state.lastWriteAt ?? -Infinity) + this.#intervalMs;
    if (state.pending.size > 0 && windowEnd <= now) {
      for (const request of state.pending.values()) this.#o.recorder.record(request);
      state.pending.clear();
      state.lastWriteAt = now;
    }
    if (state.pending.size > 0) {
      this.#lookAgain(key, windowEnd);
    } else if (state.bySource.size > 0) {
      this.#due.delete(key);
    } else {
      // Nothing wrong any more: forgotten once a problem coming back would be written at once anyway.
      const forgetAt = (state.lastWriteAt ?? -Infinity) + this.#intervalMs;
      if (forgetAt > now) {
        this.#lookAgain(key, forgetAt);
      } else {
        this.#objects.delete(key);
        this.#due.delete(key);
      }
    }
  }

  #lookAgain(key: string, at: number): void {
    if (this.#due.get(key) === at) return;
    this.#due.set(key, at);
    // Superseded entries stay in the heap and are skipped when they come out.
    this.#timeline.push({ at, object: key });
  }

  #arm(): void {
    const next = this.#timeline.peek();
    if (next === undefined || this.#closed.signal.aborted) return;
    if (this.#timer !== undefined && this.#timer.at <= next.at) return;
    this.#timer?.cancel.abort();
    const cancel = new AbortController();
    this.#timer = { at: next.at, cancel };
    const delay = Math.max(0, next.at - this.#o.clock.now());
    this.#o.clock.sleep(delay, AbortSignal.any([cancel.signal, this.#closed.signal])).then(
      () => {
        this.#timer = undefined;
        this.#wake();
      },
      () => undefined,
    );
  }

  #wake(): void {
    const now = this.#o.clock.now();
    for (let due = this.#timeline.peek(); due !== undefined && due.at <= now;) {
      this.#timeline.pop();
      const state = this.#objects.get(due.object);
      if (state !== undefined && this.#due.get(due.object) === due.at) {
        this.#due.delete(due.object);
        this.#settle(due.object, state, now);
      }
      due = this.#timeline.peek();
    }
    this.#arm();
  }
}
