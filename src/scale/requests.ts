// Requests to other nodes that wait for answers: a private message (one
// node answers whether it delivered) and a query (every node answers). Each
// has a deadline; when it passes, or the node it waits for is forgotten, the
// request settles with what it has. So nothing waits forever, and an entry
// leaves the table when its request settles, whatever happened: the table
// never grows with requests no one will answer.

interface Pending {
  timer: NodeJS.Timeout;
  /** The nodes whose answers are still awaited. */
  waiting: Set<string>;
  answers: Array<{ node: string; value: unknown }>;
  /** Nodes forgotten while awaited: missing from the result. */
  gone: string[];
  settle(answers: Array<{ node: string; value: unknown }>, missing: string[]): void;
}

export class Requests {
  /** Requests that reached their deadline with an answer missing. */
  timeouts = 0;
  #next = 0;
  readonly #pending = new Map<number, Pending>();

  get size(): number {
    return this.#pending.size;
  }

  /**
   * Opens a request to `nodes`, settled with every answer or at `timeout` ms
   * with the answers so far and the nodes missing. Returns its number, to
   * send along, and the promise.
   */
  open(nodes: Iterable<string>, timeout: number): [number, Promise<{ answers: Array<{ node: string; value: unknown }>; missing: string[] }>] {
    const id = ++this.#next;
    const waiting = new Set(nodes);
    const promise = new Promise<{ answers: Array<{ node: string; value: unknown }>; missing: string[] }>((resolve) => {
      const timer = setTimeout(() => {
        const p = this.#pending.get(id);
        if (p === undefined) return;
        this.timeouts++;
        this.#finish(id, p);
      }, timeout);
      // An open request must not keep the process alive.
      timer.unref();
      this.#pending.set(id, { timer, waiting, answers: [], gone: [], settle: (answers, missing) => resolve({ answers, missing }) });
    });
    if (waiting.size === 0) this.#finish(id, this.#pending.get(id)!);
    return [id, promise];
  }

  /** An answer from `node` to request `id` (ignored when late, unknown or not expected from it). */
  answer(id: number, node: string, value: unknown): void {
    const p = this.#pending.get(id);
    if (p === undefined || !p.waiting.delete(node)) return;
    p.answers.push({ node, value });
    if (p.waiting.size === 0) this.#finish(id, p);
  }

  /** A node was forgotten: no request waits for it any longer (it counts as missing). */
  nodeGone(node: string): void {
    for (const [id, p] of [...this.#pending]) {
      if (!p.waiting.delete(node)) continue;
      p.gone.push(node);
      if (p.waiting.size === 0) this.#finish(id, p);
    }
  }

  /** Settles every request now with what it has (the adapter is closing or lost its broker). */
  settleAll(): void {
    for (const [id, p] of [...this.#pending]) this.#finish(id, p);
  }

  #finish(id: number, p: Pending): void {
    clearTimeout(p.timer);
    this.#pending.delete(id);
    p.settle(p.answers, [...p.gone, ...p.waiting]);
  }
}

/** The bus's start, or an Error once `ms` pass (a broker out of reach must not hang listen()). */
export function deadline(start: Promise<void>, ms: number, kind: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the ${kind} adapter could not reach its broker within ${ms} ms`)), ms);
  });
  return Promise.race([start, late]).finally(() => clearTimeout(timer));
}
