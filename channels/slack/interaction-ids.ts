/** The ids Slack echoes back on a click or a modal submission; defined once, used by the message and the handlers. */
export const ActionId = { approve: 'interlock_approve', deny: 'interlock_deny', openConsole: 'interlock_open_console' } as const;
export const VOTE_BLOCK_ID = 'interlock_vote';
/** The reason modal: its callback id and the input that carries the reason. */
export const ReasonModal = { callbackId: 'interlock_reason', blockId: 'reason', actionId: 'reason' } as const;

/** The channel's name: the policy's `notify` key, a vote's `via`, the failure metric's label. */
export const SLACK = 'slack';
