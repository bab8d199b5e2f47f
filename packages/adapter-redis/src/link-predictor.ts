/**
 * Client-side prediction of audit chain links, so the Lua SHA-256 runs only when a prediction
 * misses.
 *
 * Commands on one connection run in the order they were sent, so the adapter can predict the head
 * every chain will have when its next command runs: the last known head, linked through every
 * command still in flight on that chain. It sends the link it computed together with the head and
 * the outcome label it was computed for; the script uses it only when both are exactly right and
 * otherwise computes the link itself. Correctness therefore never rests on a prediction: a miss (another
 * instance appended, a refusal instead of a read, an unknown head) costs server CPU, nothing else.
 */
import { createHash } from 'node:crypto';

export interface Prediction {
  /** The head hash the link was computed on; null when unknown. */
  prev: string | null;
  /** The outcome label the link was computed for; null when it cannot be guessed. */
  label: string | null;
  digest: string;
  /** sha256(prev ‖ digest ‖ label), or null. */
  hash: string | null;
}

/** What a settled command did to its chain. */
export type Settlement = { appended: true; head: string } | { appended: false } | { unknown: true };

interface ChainState {
  /** The head before the first in-flight command; null when unknown. */
  base: string | null;
  inFlight: Prediction[];
}

export function chainLink(prev: string, digest: string, label: string): string {
  return createHash('sha256')
    .update(Buffer.from(prev, 'hex'))
    .update(Buffer.from(digest, 'hex'))
    .update(label)
    .digest('hex');
}

export class LinkPredictor {
  readonly #chains = new Map<string, ChainState>();
  readonly #maxChains: number;
  /** Appends whose link was predicted right, and those the server had to compute. */
  readonly stats = { predicted: 0, computedByServer: 0 };

  constructor(maxChains = 10_000) {
    this.#maxChains = maxChains;
  }

  /** Register a command about to be sent on `chain`; returns what to send with it. */
  begin(chain: string, digest: string, label: string | null): Prediction {
    let state = this.#chains.get(chain);
    if (!state) {
      this.#evictIdle();
      state = { base: null, inFlight: [] };
      this.#chains.set(chain, state);
    }
    const prev = state.inFlight.length > 0 ? state.inFlight.at(-1)!.hash : state.base;
    const prediction: Prediction = {
      prev,
      label,
      digest,
      hash: prev !== null && label !== null ? chainLink(prev, digest, label) : null,
    };
    state.inFlight.push(prediction);
    return prediction;
  }

  /** Record how a command ended and re-predict the commands sent after it when it went otherwise. */
  settle(chain: string, prediction: Prediction, result: Settlement): void {
    const state = this.#chains.get(chain);
    if (!state) return;
    const index = state.inFlight.indexOf(prediction);
    if (index === -1) return;
    state.inFlight.splice(index, 1);
    let head: string | null;
    if ('unknown' in result) head = null;
    else if (result.appended) head = result.head;
    else head = prediction.prev;
    if (index === 0) state.base = head;
    if ('appended' in result && result.appended) {
      if (result.head === prediction.hash) {
        this.stats.predicted++;
        return;
      }
      this.stats.computedByServer++;
    }
    this.#repredict(state, index, head);
  }

  #repredict(state: ChainState, from: number, head: string | null): void {
    let prev = head;
    for (let i = from; i < state.inFlight.length; i++) {
      const p = state.inFlight[i]!;
      p.prev = prev;
      p.hash = prev !== null && p.label !== null ? chainLink(prev, p.digest, p.label) : null;
      prev = p.hash;
    }
  }

  #evictIdle(): void {
    if (this.#chains.size < this.#maxChains) return;
    for (const [chain, state] of this.#chains) if (state.inFlight.length === 0) this.#chains.delete(chain);
  }
}
