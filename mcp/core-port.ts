// The Interlock port inside the API process: the core use cases called directly, as the token's principal.
import type { ActionCore, CoreServices } from '../core';
import type { Principal } from '../domain/principal';
import { judgeCall, recordCall } from './call-record';
import type { InterlockPort } from './port';

/**
 * The API's per-principal start budget (INTERLOCK_START_LIMIT, INTERLOCK_SUBMIT_CONCURRENCY), the same one
 * POST /v1/actions takes from: throws an InterlockError `rate_limited` when the principal is over it.
 */
export type StartAdmission = (principalId: string) => { release(): void };

export function corePort(actions: ActionCore, services: Pick<CoreServices, 'audit' | 'policy'>, caller: Principal, admit: StartAdmission): InterlockPort {
  return {
    judge: async (call) => judgeCall(services, actions, caller, call),
    record: async (call, outcome, judged) => void (await recordCall(services, actions, caller, call, outcome, judged)),
    async submit(call, key) {
      const admitted = admit(caller.id);
      try {
        return (await actions.submit(caller, call, key)).action;
      } finally {
        admitted.release();
      }
    },
    get: (id) => actions.get(caller, id),
    // The core's long poll: it returns as soon as the action settles, so an approval reaches the upstream at once.
    wait: (id, ms) => actions.wait(caller, id, ms / 1000),
    // Held with a claim: the approving vote redeems for it, so the upstream runs as soon as the vote is recorded.
    hold: (id, params, ms, signal) => actions.holdForApproval(caller, id, params, ms, signal),
    redeem: (grant, params) => actions.redeemGrant(caller, grant, params),
    report: (id, status, output) => actions.reportResult(caller, id, status, output),
  };
}
