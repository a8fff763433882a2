// The types and schemas every room shares (actions, submissions, policy decisions, statuses, principals). No I/O.
export * from './status';
export * from './audit-event';
export * from './principal';
export * from './identity';
export * from './decision';
export * from './action';
export * from './secret-params';
