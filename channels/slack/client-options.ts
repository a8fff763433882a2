import type { WebClientOptions } from '@slack/web-api';
import type { Config } from '../../config';

/** A Slack call gives up after this long, so a hung Slack never holds a notification activity for long. */
export const SLACK_CALL_TIMEOUT_MS = 5000;

/**
 * Options for every Web API client Interlock builds. Slack's own client retries rate-limited calls after
 * the Retry-After it is given and request errors once; anything longer is the notification activity's retry.
 */
export function slackClientOptions(slack: NonNullable<Config['slack']>): WebClientOptions {
  return {
    slackApiUrl: slack.apiUrl ? slack.apiUrl.replace(/\/?$/, '/') : undefined,
    timeout: SLACK_CALL_TIMEOUT_MS,
    retryConfig: { retries: 1, factor: 2, minTimeout: 250, maxTimeout: 1000, randomize: true },
    rejectRateLimitedCalls: false,
  };
}
