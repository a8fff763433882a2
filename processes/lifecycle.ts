import type { Logger } from '../observability';

interface Step {
  name: string;
  stop: () => Promise<void>;
}

/**
 * What one process has started, stopped last-first exactly once, however many signals arrive. One Ctrl-C
 * can arrive twice (the terminal signals the group, tsx relays it), so only a later signal forces an exit.
 */
export class Lifecycle {
  private readonly steps: Step[] = [];
  private stopping: Promise<void> | null = null;
  private signalledAt = 0;

  constructor(private readonly log: Logger) {}

  /** Registers what to undo; steps added later are stopped earlier. */
  add(name: string, stop: () => Promise<void>): void {
    this.steps.push({ name, stop });
  }

  /** Stops every step, last first; a step that fails is logged and the next one still runs. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      for (const step of [...this.steps].reverse()) {
        const started = Date.now();
        await step.stop().catch((err: unknown) => this.log.error({ err, step: step.name }, 'error while stopping'));
        this.log.debug({ step: step.name, ms: Date.now() - started }, 'stopped');
      }
    })();
    return this.stopping;
  }

  /** Resolves with the first SIGINT or SIGTERM; a second one more than 2 s later exits at once. */
  untilSignal(): Promise<NodeJS.Signals> {
    return new Promise((resolve) => {
      const onSignal = (signal: NodeJS.Signals) => {
        if (!this.signalledAt) {
          this.signalledAt = Date.now();
          return resolve(signal);
        }
        if (Date.now() - this.signalledAt < 2000) return;
        this.log.warn({ signal }, 'second signal: exiting now without a clean stop');
        process.exit(1);
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
    });
  }
}
