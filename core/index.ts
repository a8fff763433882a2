// The application's use cases (submit, read, wait, vote, cancel, report, audit, dry run), free of HTTP and Slack.
export { ActionCore, type CoreServices, type ListFilter } from './action-core';
export { canRead, isAdmin, isApproverOf, isAuditor } from './access';
export { dependencyUnavailable, RETRY_AFTER_SECONDS, unavailable } from './dependency-errors';
export { ErrorCode, InterlockError, notFound, type ErrorDetail } from './errors';
export { normaliseSubmission } from './submission';
