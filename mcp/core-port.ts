// The Interlock port inside the API process: the core use cases called directly, as the token's principal.
import type { ActionCore, CoreServices } from '../core';
import type { Action } from '../domain/action';
import type { Principal } from '../domain/principal';
import { judgeCall, recordCall } from './call-record';
import type { InterlockPort } from './port';

/** How often a held call looks at its action: short, so an approval reaches the upstream within a few tens of ms. */
const POLL_MS = 20;

const moved = (a: Action, b: Action) => a.status !== b.status || a.approvals.length !== b.approvals.length || a.grant?.redeemedAt !== b.grant?.redeemedAt;

export function corePort(actions: ActionCore, services: Pick<CoreServices, 'audit' | 'policy'>, caller: Principal): InterlockPort {
  return {
    judge: async (call) => judgeCall(services, actions, caller, call),
    record: async (call, outcome, judged) => void (await recordCall(services, actions, caller, call, outcome, judged)),
    submit: async (call, key) => (await actions.submit(caller, call, key)).action,
    get: (id) => actions.get(caller, id),
    async wait(id, ms) {
      const until = Date.now() + ms;
      const first = await actions.get(caller, id);
      for (;;) {
        const left = until - Date.now();
        if (left <= 0) return first;
        await new Promise((r) => setTimeout(r, Math.min(POLL_MS, left)));
        const now = await actions.get(caller, id);
        if (moved(first, now)) return now;
      }
    },
    redeem: (grant, params) => actions.redeemGrant(caller, grant, params),
    report: (id, status, output) => actions.reportResult(caller, id, status, output),
  };
}
