import { after, before } from 'node:test';
import { SlackFake } from './slack-fake';
import { startStack, type StackOptions, type TestStack } from './stack';

/** Policy for the Slack tests: every rule names its channel but one, which falls back to SLACK_DEFAULT_CHANNEL. */
export const SLACK_POLICY = `version: 1
defaults: {decision: deny, timeout: 1h}
rules:
  - id: slack-data-export
    when: action == "db.export"
    decision: require_approval
    approvers: {groups: [data-owners], quorum: 2}
    timeout: 1h
    risk: high
    controls: ["SOC2:CC6.1", "ISO27001:A.8.2"]
    slack_channel: "#data-approvals"
  - id: slack-justified-grant
    when: action == "iam.grant"
    decision: require_approval
    approvers: {groups: [data-owners], quorum: 1}
    require_justification: true
    slack_channel: "#data-approvals"
  - id: slack-infra-escalation
    when: action == "infra.scale"
    decision: require_approval
    approvers: {groups: [sre-oncall], quorum: 1}
    timeout: 1h
    escalation:
      - {after: 1s, groups: [security-oncall]}
    slack_channel: "#infra-approvals"
  - id: slack-default-channel
    when: action == "cache.flush"
    decision: require_approval
    approvers: {groups: [data-owners], quorum: 1}
`;

/** gina and olga have no Slack id in principals.yaml: Slack finds them by their profile e-mail. */
export const SLACK_PRINCIPALS = `principals:
  - {id: "svc:etl-bot", kind: service, groups: [pipelines]}
  - {id: "alice@example.com", kind: human, groups: [data-owners], slack: U0ALICE}
  - {id: "bob@example.com", kind: human, groups: [data-owners], slack: U0BOB}
  - {id: "gina@example.com", kind: human, groups: [data-owners]}
  - {id: "riley@example.com", kind: human, groups: [data-owners], slack: U0RILEY}
  - {id: "carol@example.com", kind: human, groups: [security-oncall], slack: U0CAROL}
  - {id: "olga@example.com", kind: human, groups: [security-oncall]}
  - {id: "sre@example.com", kind: human, groups: [sre-oncall], slack: U0SRE}
  - {id: "dave@example.com", kind: human, groups: [auditors]}
`;

export const SIGNING_SECRET = '8f742231b10e8888abcd99yyyzzz85a5';

export function slackEnv(fake: SlackFake): Record<string, string> {
  // The fake also stands in for the http executor's target (`/exec`); it listens on loopback, so it is listed.
  return { SLACK_BOT_TOKEN: 'xoxb-interlock-test', SLACK_SIGNING_SECRET: SIGNING_SECRET, SLACK_API_URL: fake.apiUrl, SLACK_DEFAULT_CHANNEL: '#approvals', INTERLOCK_HTTP_ALLOW_PRIVATE: new URL(fake.url).host };
}

/** targets.yaml naming the fake's `/exec` as the target the Slack tests' http actions run against. */
export function slackTargets(fake: SlackFake): string {
  return `targets:\n  slack-fake: {type: http, url: "${fake.url}/exec"}\n`;
}

/** Polls `probe` until it returns something other than undefined (no fixed sleeps). */
export async function eventually<T>(probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`not reached within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** For one suite: a fresh Slack fake and a real stack with the Slack channel on it (before its tests), both stopped after. */
export function slackStackForSuite(opts: StackOptions = {}): { readonly stack: TestStack; readonly fake: SlackFake } {
  const held = {} as { stack: TestStack; fake: SlackFake };
  before(async () => {
    held.fake = await new SlackFake().start();
    held.stack = await startStack({ policy: SLACK_POLICY, principals: SLACK_PRINCIPALS, env: slackEnv(held.fake), slack: true, ...opts });
  });
  after(async () => {
    await held.stack?.stop();
    await held.fake?.stop();
  });
  return held;
}
