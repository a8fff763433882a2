/** The names Teams echoes back on a card action; defined once, used by the card and the invoke handler. */
export const Verb = { approve: 'interlock.approve', deny: 'interlock.deny' } as const;
export type Verb = (typeof Verb)[keyof typeof Verb];
/** The reason inputs: one per decision, since input ids must be unique in a card. */
export const ReasonInput = { approve: 'approveReason', deny: 'denyReason' } as const;

/** The channel's name: the policy's `notify` key, a vote's `via`, the failure metric's label. */
export const TEAMS = 'teams';
/** Where Bot Framework delivers activities on the API's server. */
export const TEAMS_MESSAGES_PATH = '/teams/messages';
