import type { Action } from '../domain/action';

/** A change people should hear about (Slack today). Carries the whole action as it was at that moment. */
export interface ActionChange {
  kind: 'requested' | 'vote' | 'escalated' | 'closed' | 'result';
  action: Action;
  actor?: string;
  escalation?: { level: number; groups: string[]; principals: string[] };
}

/** Implemented by `slack/`; absent when Slack is off. */
export interface ActionNotifier {
  notify(change: ActionChange): Promise<void>;
}

export function createNotifyActivity(notifier: ActionNotifier | undefined) {
  return async function notifyActionChange(change: ActionChange): Promise<void> {
    if (notifier) await notifier.notify(change);
  };
}
