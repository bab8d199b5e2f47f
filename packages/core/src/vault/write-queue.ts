/**
 * Writers of one secret inside one vault instance take turns. Every version is sealed under a
 * data key bound to its number, so a writer that loses the check-and-set race must seal again —
 * another key-service call. Queuing them locally makes each writer seal once; races between
 * instances are still settled by storage's check-and-set.
 */
export class WriteQueue {
  readonly #tails = new Map<string, Promise<void>>();

  async run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key);
    let release!: () => void;
    const tail = new Promise<void>((resolve) => {
      release = resolve;
    });
    this.#tails.set(key, tail);
    if (previous) await previous;
    try {
      return await task();
    } finally {
      release();
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    }
  }
}
