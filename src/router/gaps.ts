// The gap of a resume (./retention.ts): for each stream the session
// receives, the entries after the position its client has (never before
// the point the session started receiving the stream), all or nothing.
// From this process's history (synchronous), or from the store every node
// shares (asynchronous, once this node surely receives the session's
// broadcasts, so that nothing falls between the gap and live delivery).

import type { HistoryEntry, HistoryStore, StreamPosition } from './history.js';
import type { RecoveryHost } from './recovery-types.js';
import { mergeGaps, type RecoveryStore, type Start } from './recovery-store.js';
import type { Session } from './session.js';
import type { SharedEntry } from './shared-history.js';

/** The gap from this process's history, in append order; null when it cannot be given whole. */
export function localGap(history: HistoryStore, session: Session<unknown>, streams: string[], positions: Record<string, StreamPosition>, starts: Map<string, Start>, after: Map<string, number>): HistoryEntry[] | null {
  const now = Date.now();
  const gap: HistoryEntry[] = [];
  for (const stream of streams) {
    const from = startOf(clientPosition(positions, stream), starts.get(stream) as StreamPosition | undefined) ?? history.position(stream, now);
    const missed = history.since(stream, from, now);
    if (missed === null) return null;
    after.set(stream, from.o);
    for (const entry of missed) if (entry.except !== session.id) gap.push(entry);
  }
  return gap.sort((a, b) => a.seq - b.seq);
}

/** The gap from the shared store, in the store's append order; null when it cannot be given whole. */
export async function sharedGap(shared: RecoveryStore, host: Pick<RecoveryHost, 'interested'>, session: Session<unknown>, streams: string[], positions: Record<string, StreamPosition>, starts: Map<string, Start>, after: Map<string, number>): Promise<SharedEntry[] | null> {
  // This node must receive the session's broadcasts before the gap is read, so nothing falls between the two.
  const interest = Promise.all([null, ...session.groups].map((group) => host.interested(group)));
  if (!(await settlesWithin(interest, INTEREST_WAIT))) return null;
  const lists = await Promise.all(
    streams.map(async (stream) => {
      const from = startOf(clientPosition(positions, stream), (await starts.get(stream)) ?? undefined);
      if (from === undefined) return null;
      after.set(stream, from.o);
      return shared.since(stream, from);
    }),
  );
  if (lists.some((list) => list === null)) return null;
  return mergeGaps(lists as SharedEntry[][]).filter((entry) => entry.except !== session.id);
}

/** How long a resume waits for this node's subscriptions to a session's groups. */
const INTEREST_WAIT = 3000;

/** Whether `promise` settles (fulfilled) within `ms`. */
function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    promise.then(
      () => {
        clearTimeout(timer);
        resolve(true);
      },
      () => {
        clearTimeout(timer);
        resolve(false);
      },
    );
  });
}

/** The position the client says it has on a stream (an own property only). */
function clientPosition(positions: Record<string, StreamPosition>, stream: string): StreamPosition | undefined {
  return Object.hasOwn(positions, stream) ? positions[stream] : undefined;
}

/**
 * Where a stream's gap starts: the client's position, but never before the
 * point the session started receiving the stream (a client's old position
 * must not reveal what was sent while it was out of a group).
 */
function startOf(client: StreamPosition | undefined, start: StreamPosition | null | undefined): StreamPosition | undefined {
  if (start === null) start = undefined;
  if (client === undefined) return start;
  if (start !== undefined && start.e === client.e && start.o > client.o) return start;
  return client;
}
