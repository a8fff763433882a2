import type { Db } from '../../db';
import type { Logger } from '../../observability';
import { createCheckpoint, type Checkpoint } from './checkpoint';
import type { CheckpointSigner } from './signing-key';

/**
 * Signs the chain head every `intervalMs` when it moved since the last checkpoint, and once more on
 * stop, so a clean shutdown leaves every event under a signature. Failures are logged and retried at
 * the next tick: a checkpoint is evidence, never a reason to stop recording.
 */
export class Checkpointer {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<Checkpoint | null> | null = null;

  constructor(private readonly deps: { db: Db; signer: CheckpointSigner; log: Logger; intervalMs: number }) {}

  start(): this {
    if (this.deps.intervalMs > 0) this.timer = setInterval(() => void this.tick(), this.deps.intervalMs);
    return this;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
    await this.tick();
  }

  /** One checkpoint if the head moved; overlapping ticks share the one in flight. */
  tick(): Promise<Checkpoint | null> {
    this.running ??= createCheckpoint(this.deps.db, this.deps.signer, { onlyIfMoved: true })
      .then((cp) => {
        if (cp) this.deps.log.debug({ checkpoint: cp.id, seq: cp.seq }, 'audit checkpoint signed');
        return cp;
      })
      .catch((err) => {
        this.deps.log.error({ err }, 'audit checkpoint failed; retrying at the next interval');
        return null;
      })
      .finally(() => (this.running = null));
    return this.running;
  }
}
