import type { Database } from '../db/client';

/** The channel migration 0009's trigger NOTIFYs on every write of an action's projection, with its id. */
export const ACTION_CHANGED_CHANNEL = 'interlock_action_changed';
/** While listening, a waiter still looks again this often: a belt to the notification's braces. */
const RECHECK_LISTENING_MS = 30_000;
/** While not listening (not yet connected, or the connection lost), waiters look this often instead. */
const RECHECK_DEAF_MS = 1_000;

/** One action's subscription: `next` resolves at the first change since the last `next` (none is missed in between). */
export interface ActionSubscription {
  next(maxMs: number, signal?: AbortSignal): Promise<'changed' | 'pause'>;
  end(): void;
}

interface Sub {
  dirty: boolean;
  wake: ((why: 'changed' | 'pause') => void) | null;
}

/**
 * One LISTEN connection per process for the recorded changes of actions. A subscription's `next` resolves when the
 * action's projection was written since the last call (a NOTIFY for it), when the listen was lost or regained (a
 * change may have been missed), or after a bounded pause: the caller then reads the projection and decides. So a
 * process watches any number of actions with one connection, asks nothing of the workflows, and spends none of
 * their Updates. Subscribe before reading the projection, and a change between the read and the wait still wakes.
 */
export class ActionChanges {
  private readonly subs = new Map<string, Set<Sub>>();
  private listening = false;
  private started: Promise<void> | null = null;
  private stop: (() => Promise<void>) | null = null;
  private closed = false;

  constructor(private readonly database: Pick<Database, 'listen'>, private readonly log: { warn(o: object, m: string): void }) {}

  async subscribe(id: string): Promise<ActionSubscription> {
    await this.ensureListening();
    const sub: Sub = { dirty: false, wake: null };
    const set = this.subs.get(id) ?? new Set();
    this.subs.set(id, set);
    set.add(sub);
    return {
      next: (maxMs, signal) => {
        if (sub.dirty || this.closed || signal?.aborted) {
          sub.dirty = false;
          return Promise.resolve('changed');
        }
        return new Promise((resolve) => {
          const done = (why: 'changed' | 'pause') => {
            clearTimeout(timer);
            signal?.removeEventListener('abort', aborted);
            sub.wake = null;
            sub.dirty = false;
            resolve(why);
          };
          const aborted = () => done('changed');
          const timer = setTimeout(() => done('pause'), Math.max(0, Math.min(maxMs, this.listening ? RECHECK_LISTENING_MS : RECHECK_DEAF_MS)));
          signal?.addEventListener('abort', aborted, { once: true });
          sub.wake = done;
        });
      },
      end: () => {
        set.delete(sub);
        if (set.size === 0 && this.subs.get(id) === set) this.subs.delete(id);
        sub.wake?.('changed');
      },
    };
  }

  /** How many actions some waiter here is watching (for tests and metrics). */
  get watched(): number {
    return this.subs.size;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.wakeAll();
    await this.started?.catch(() => undefined);
    await this.stop?.().catch(() => undefined);
  }

  private ensureListening(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.started ??= this.database
      .listen(
        ACTION_CHANGED_CHANNEL,
        (id) => this.wake(this.subs.get(id)),
        (listening) => {
          this.listening = listening;
          this.wakeAll(); // lost: look soon instead of trusting silence; regained: a change may have been missed meanwhile
        },
      )
      .then(
        async (stop) => {
          this.stop = stop;
          if (this.closed) await stop();
        },
        (err: unknown) => {
          // Waiters fall back to looking every second; the next subscription tries to listen again.
          this.log.warn({ err: String(err) }, 'cannot listen for action changes; waiters poll the recorded action');
          this.started = null;
        },
      );
    return this.started;
  }

  private wake(set: Set<Sub> | undefined): void {
    for (const sub of [...(set ?? [])]) {
      sub.dirty = true;
      sub.wake?.('changed');
    }
  }

  private wakeAll(): void {
    for (const set of [...this.subs.values()]) this.wake(set);
  }
}
