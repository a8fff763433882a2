import type { types } from '@slack/bolt';
import { clip, escapeText } from './mrkdwn';
import { ReasonModal } from './interaction-ids';

/** What a submitted reason modal stands for; Slack returns it untouched in `private_metadata`. */
export interface ReasonRequest {
  actionId: string;
  decision: 'approve' | 'deny';
  /** Where the clicked message is, so a refusal can be shown to the voter there. */
  channel: string | null;
}

/** The modal that asks for the reason of a deny (or of an approval the rule wants justified). */
export function reasonModal(request: ReasonRequest, summary: string): types.ModalView {
  const deny = request.decision === 'deny';
  return {
    type: 'modal',
    callback_id: ReasonModal.callbackId,
    private_metadata: JSON.stringify(request),
    title: { type: 'plain_text', text: deny ? 'Deny the action' : 'Approve the action' },
    submit: { type: 'plain_text', text: deny ? 'Deny' : 'Approve' },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: clip(`${escapeText(summary)}\n\`${request.actionId}\``, 3000) } },
      {
        type: 'input',
        block_id: ReasonModal.blockId,
        label: { type: 'plain_text', text: deny ? 'Why deny it?' : 'Why approve it?' },
        element: { type: 'plain_text_input', action_id: ReasonModal.actionId, multiline: true, max_length: 2000 },
      },
    ],
  };
}

/** The request a submitted modal carries, or null when the metadata is not one this app wrote. */
export function readReasonRequest(privateMetadata: string | undefined): ReasonRequest | null {
  try {
    const r = JSON.parse(privateMetadata ?? '');
    if (typeof r?.actionId === 'string' && (r.decision === 'approve' || r.decision === 'deny')) return { actionId: r.actionId, decision: r.decision, channel: typeof r.channel === 'string' ? r.channel : null };
  } catch {
    /* not ours */
  }
  return null;
}
