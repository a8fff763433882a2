// The one `mcp.call` audit event of an allowed or denied tool call: judged again here, on the server, so the trail
// holds the server's rule and policy version, never a client's word for them.
import { ulid } from 'ulid';
import type { ActionCore, CoreServices } from '../core';
import { ErrorCode, InterlockError } from '../core';
import type { Submission } from '../domain/action';
import { AuditEventType } from '../domain/audit-event';
import type { Principal } from '../domain/principal';
import { paramsHash } from '../grants';
import type { CallOutcome, Judgement } from './port';

/** The MCP facts every gateway call carries in `context.mcp`. */
export interface McpContext {
  server: string;
  tool: string;
  annotations: Record<string, unknown> | null;
  client: string | null;
}

export function mcpContextOf(call: Submission): McpContext | null {
  const mcp = (call.context as { mcp?: McpContext } | undefined)?.mcp;
  return mcp && typeof mcp.server === 'string' && typeof mcp.tool === 'string' ? mcp : null;
}

/** The policy's verdict on a call, as the caller; the reason is the rule's description when it has one (what the agent reads). */
export function judgeCall(services: Pick<CoreServices, 'policy'>, actions: ActionCore, caller: Principal, call: Submission): Judgement {
  const { decision, problems, policyVersion } = actions.evaluate(caller, call);
  const rule = services.policy.current().rules.find((r) => r.id === decision.ruleId);
  return { outcome: decision.outcome, ruleId: decision.ruleId, reason: rule?.description ?? decision.reason, policyVersion, problems: problems.map((p) => `${p.field}: ${p.message}`) };
}

export async function recordCall(services: Pick<CoreServices, 'audit' | 'policy'>, actions: ActionCore, caller: Principal, call: Submission, outcome: CallOutcome, judgedHere?: Judgement): Promise<Judgement> {
  const mcp = mcpContextOf(call);
  if (!mcp || !call.action.startsWith('mcp.')) throw new InterlockError(ErrorCode.unprocessable, 'an MCP call is the action mcp.<server>.<tool> with context.mcp naming its server and tool', [{ field: 'call.context.mcp', message: 'missing' }]);
  // The rule was judged on the action's name: the server and tool recorded are that name's, not a second claim beside it.
  if (call.action !== `mcp.${mcp.server}.${mcp.tool}`) {
    const message = `context.mcp names ${mcp.server}/${mcp.tool} but the action is ${call.action}; a call of tool T on server S is the action mcp.S.T`;
    throw new InterlockError(ErrorCode.unprocessable, message, [{ field: 'call.context.mcp', message }]);
  }
  const judged = judgedHere ?? judgeCall(services, actions, caller, call);
  if (judged.outcome === 'require_approval') throw new InterlockError(ErrorCode.conflict, `rule ${judged.ruleId} requires approval for ${call.action}: submit it as an action, it is not recorded as a direct call`);
  await services.audit.append([{
    id: `mcp.call:${ulid()}`,
    actionId: null,
    type: AuditEventType.mcpCall,
    actor: caller.id,
    at: new Date().toISOString(),
    policyVersion: judged.policyVersion,
    data: { server: mcp.server, tool: mcp.tool, ruleId: judged.ruleId, outcome: judged.outcome, argumentsHash: paramsHash(call.params ?? {}), durationMs: Math.round(outcome.durationMs), isError: outcome.isError, onBehalfOf: call.onBehalfOf ?? null, client: mcp.client },
  }]);
  return judged;
}
