// The Interlock port over the REST API, with the `interlock/client` library: what `interlock mcp` (stdio) uses, so
// the gateway works beside a remote Interlock. Every guarantee (one action per repeated call, one redemption of a
// grant) lives on the server; nothing here is remembered that another gateway process would need.
import { Interlock } from '../client';
import type { Action } from '../domain/action';
import type { InterlockPort, Judgement } from './port';

export function clientPort(client: Interlock): InterlockPort {
  return {
    judge: (call) => client.request<Judgement>('POST', '/v1/mcp/judge', { call }),
    record: async (call, outcome) => void (await client.request('POST', '/v1/mcp/calls', { call, ...outcome })),
    submit: (call, key) => client.submit(call, { idempotencyKey: key }),
    get: (id) => client.get(id),
    // The API's long poll returns as soon as the action settles; otherwise when `timeout` (whole seconds) runs out.
    wait: (id, ms) => client.request<Action>('GET', `/v1/actions/${encodeURIComponent(id)}/wait?timeout=${Math.max(1, Math.round(ms / 1000))}`),
    redeem: (grant, params) => client.redeem(grant, params),
    report: (id, status, output) => client.reportResult(id, status, output),
  };
}
