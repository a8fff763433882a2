import { InterlockClient } from './api-client';
import { one, parseArgs, rejectUnknown, UsageError } from './args';
import type { CliIo } from './io';
import type { Action } from '../domain/action';


/** `interlock decide <action-id> approve|deny [--comment C]`: a vote as the token's principal. */
export async function decideCommand(argv: string[], io: CliIo): Promise<number> {
  const args = parseArgs(argv);
  rejectUnknown(args, ['comment']);
  const [id, decision] = args.positional;
  if (!id || (decision !== 'approve' && decision !== 'deny')) throw new UsageError('usage: interlock decide <action-id> approve|deny [--comment C]');
  const comment = one(args, 'comment');
  const a = await InterlockClient.fromEnv(io.env).request<Action>('POST', `/v1/actions/${id}/decisions`, { decision, ...(comment ? { comment } : {}) });
  const approvals = a.approvals.filter((v) => v.decision === 'approve').length;
  io.out(`${a.id} ${a.status}${a.status === 'pending_approval' && a.decision ? ` (${approvals}/${a.decision.quorum} approvals)` : ''}`);
  return 0;
}

/** `interlock get <action-id>`: the Action as JSON. */
export async function getCommand(argv: string[], io: CliIo): Promise<number> {
  const [id] = argv;
  if (!id) throw new UsageError('usage: interlock get <action-id>');
  io.out(JSON.stringify(await InterlockClient.fromEnv(io.env).request('GET', `/v1/actions/${id}`), null, 2));
  return 0;
}
