/** Fault injection for the Kong emulator: which injected fault, if any, applies to a request. */

export type FaultMatch = { readonly method?: string; readonly path?: string };

export type Fault = {
  readonly match?: FaultMatch;
  /** Apply to this many matching requests, then retire. */
  readonly times?: number;
  /** Apply to every Nth matching request only. */
  readonly everyNth?: number;
} & (
  | { readonly kind: "down" }
  | { readonly kind: "reset" }
  | { readonly kind: "hang" }
  | { readonly kind: "slow"; readonly delayMs: number }
  | {
      readonly kind: "status";
      readonly status: number;
      readonly body?: string;
      readonly headers?: Readonly<Record<string, string>>;
    }
  | {
      readonly kind: "garbage";
      readonly body: string;
      readonly contentType?: string;
      readonly status?: number;
    }
  | { readonly kind: "listenersUnknown" }
  | { readonly kind: "acceptedNotApplied" }
  | { readonly kind: "rejectTagged"; readonly tag: string }
);

export type FaultKind = Fault["kind"];

export interface FaultHandle {
  clear(): void;
}

interface ActiveFault {
  readonly fault: Fault;
  remaining: number | undefined;
  seen: number;
}

/** Holds the injected faults in injection order; the first matching one wins. */
export class FaultTable {
  readonly #active: ActiveFault[] = [];
  readonly #onChange: () => void;

  constructor(onChange: () => void) {
    this.#onChange = onChange;
  }

  add(fault: Fault): FaultHandle {
    const entry: ActiveFault = { fault, remaining: fault.times, seen: 0 };
    this.#active.push(entry);
    this.#onChange();
    return {
      clear: () => {
        this.#remove(entry);
      },
    };
  }

  clear(): void {
    this.#active.length = 0;
    this.#onChange();
  }

  /** Whether a fault of this kind is active at all (used for listener-level faults). */
  has(kind: FaultKind): boolean {
    return this.#active.some(a => a.fault.kind === kind);
  }

  /** Whether a `down` fault with no count is active: the listener must stay closed. */
  listenerDown(): boolean {
    return this.#active.some(a => a.fault.kind === "down" && a.remaining === undefined);
  }

  /** Takes (counts) the first fault of the given kinds matching the request, if it applies now. */
  take(kinds: readonly FaultKind[], method: string, path: string): Fault | undefined {
    for (const entry of this.#active) {
      if (!kinds.includes(entry.fault.kind) || !matches(entry.fault.match, method, path)) continue;
      entry.seen += 1;
      if (entry.fault.everyNth !== undefined && entry.seen % entry.fault.everyNth !== 0) continue;
      if (entry.remaining !== undefined) {
        entry.remaining -= 1;
        if (entry.remaining <= 0) this.#remove(entry);
      }
      return entry.fault;
    }
    return undefined;
  }

  #remove(entry: ActiveFault): void {
    const at = this.#active.indexOf(entry);
    if (at === -1) return;
    this.#active.splice(at, 1);
    this.#onChange();
  }
}

function matches(match: FaultMatch | undefined, method: string, path: string): boolean {
  if (match === undefined) return true;
  if (match.method !== undefined && match.method.toUpperCase() !== method) return false;
  return match.path === undefined || match.path === path;
}
