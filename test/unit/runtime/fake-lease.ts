/**
 * An in-memory Lease with the API server's rules: every write bumps resourceVersion, a replace naming
 * an older version or a create of an existing Lease answers 409. Faults on demand: every call fails as
 * an unreachable server does, or hangs until its signal aborts, as a server that accepts connections
 * and never answers.
 */
import { KubeApiError, KubeUnreachableError } from "../../../src/kube/errors.ts";
import type { LeaseApi, LeaseRecord, StoredLease } from "../../../src/kube/lease.ts";

export type LeaseFault = "none" | "unreachable" | "hang";

export interface LeaseCall {
  readonly op: "get" | "create" | "replace";
  /** The holder written (create, replace). */
  readonly holder?: string;
}

function conflict(): KubeApiError {
  return new KubeApiError(409, { reason: "Conflict", message: "the object has been modified" });
}

export class FakeLeaseServer {
  #stored: StoredLease | undefined;
  #version = 0;
  fault: LeaseFault = "none";
  readonly calls: LeaseCall[] = [];
  /** Runs once just before the next replace is applied: lets a test slip in a rival's write. */
  beforeNextReplace: (() => void) | undefined;

  constructor(initial?: LeaseRecord) {
    if (initial !== undefined) this.write(initial);
  }

  /** The Lease as stored now. */
  get lease(): StoredLease | undefined {
    return this.#stored;
  }

  get record(): LeaseRecord | undefined {
    return this.#stored?.record;
  }

  /** Writes `record` as another party would, bypassing faults and version checks. */
  write(record: LeaseRecord): StoredLease {
    this.#version++;
    this.#stored = {
      record,
      resourceVersion: String(this.#version),
      metadata: { name: "lease", namespace: "ns", resourceVersion: String(this.#version) },
    };
    return this.#stored;
  }

  /**
   * The LeaseApi one replica uses. `cutOff`, when given, is that replica's own fault on top of the
   * server's (a replica partitioned from an API server the others still reach).
   */
  api(cutOff: () => LeaseFault = () => "none"): LeaseApi {
    return {
      get: signal =>
        this.#call({ op: "get" }, signal, cutOff, () => {
          return this.#stored;
        }),
      create: (record, signal) =>
        this.#call({ op: "create", holder: record.holderIdentity }, signal, cutOff, () => {
          if (this.#stored !== undefined) throw conflict();
          return this.write(record);
        }),
      replace: (current, record, signal) =>
        this.#call({ op: "replace", holder: record.holderIdentity }, signal, cutOff, () => {
          const rival = this.beforeNextReplace;
          this.beforeNextReplace = undefined;
          rival?.();
          if (this.#stored?.resourceVersion !== current.resourceVersion) throw conflict();
          return this.write(record);
        }),
    };
  }

  async #call<T>(
    call: LeaseCall,
    signal: AbortSignal,
    cutOff: () => LeaseFault,
    apply: () => T,
  ): Promise<T> {
    this.calls.push(call);
    await Promise.resolve();
    if (signal.aborted) throw signal.reason;
    const fault = this.fault === "none" ? cutOff() : this.fault;
    if (fault === "unreachable") throw new KubeUnreachableError("connection refused");
    if (fault === "hang") {
      return new Promise<never>((_resolve, reject) => {
        signal.addEventListener(
          "abort",
          () => {
            reject(signal.reason as Error);
          },
          { once: true },
        );
      });
    }
    return apply();
  }
}
