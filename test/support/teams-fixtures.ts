import { after, before } from 'node:test';
import { createRequire } from 'node:module';
import { BotConnectorFake } from './bot-connector-fake';
import { BotFrameworkIssuer } from './bot-framework-issuer';
import { startStack, type StackOptions, type TestStack } from './stack';
import { TEAMS_APP, TEAMS_TENANT } from './teams-requests';

export const DATA_CONVERSATION = '19:data-approvals@thread.tacv2';
export const INFRA_CONVERSATION = '19:infra-approvals@thread.tacv2';
export const DEFAULT_CONVERSATION = '19:approvals@thread.tacv2';

/** Azure AD object ids of the Teams users in the tests. */
export const AAD = {
  alice: '0a0a0a0a-0000-4000-8000-00000000a11c',
  bob: '0b0b0b0b-0000-4000-8000-000000000b0b',
  riley: '0c0c0c0c-0000-4000-8000-0000000c0c0c',
  carol: '0d0d0d0d-0000-4000-8000-0000000ca401',
  gina: '0e0e0e0e-0000-4000-8000-00000000091a',
  olga: '0f0f0f0f-0000-4000-8000-00000000019a',
  nobody: '01010101-0000-4000-8000-000000000000',
} as const;

/** Policy for the Teams tests: every rule names its conversation but one, which falls back to TEAMS_DEFAULT_CONVERSATION. */
export const TEAMS_POLICY = `version: 1
defaults: {decision: deny, timeout: 1h}
rules:
  - id: teams-data-export
    when: action == "db.export"
    decision: require_approval
    approvers: {groups: [data-owners], quorum: 2}
    timeout: 1h
    risk: high
    controls: ["SOC2:CC6.1", "ISO27001:A.8.2"]
    notify: {teams: "${DATA_CONVERSATION}"}
  - id: teams-justified-grant
    when: action == "iam.grant"
    decision: require_approval
    approvers: {groups: [data-owners], quorum: 1}
    require_justification: true
    notify: {teams: "${DATA_CONVERSATION}"}
  - id: teams-infra-escalation
    when: action == "infra.scale"
    decision: require_approval
    approvers: {groups: [sre-oncall], quorum: 1}
    timeout: 1h
    escalation:
      - {after: 1s, groups: [security-oncall]}
    notify: {teams: "${INFRA_CONVERSATION}"}
  - id: teams-short-deadline
    when: action == "cache.flush"
    decision: require_approval
    approvers: {groups: [data-owners], quorum: 1}
    timeout: 2s
  - id: both-channels
    when: action == "deploy.release"
    decision: require_approval
    approvers: {groups: [data-owners], quorum: 2}
    notify: {slack: "#releases", teams: "${DATA_CONVERSATION}"}
  - id: both-channels-escalation
    when: action == "infra.restart"
    decision: require_approval
    approvers: {groups: [sre-oncall], quorum: 1}
    escalation:
      - {after: 2s, groups: [security-oncall]}
    notify: {slack: "#infra", teams: "${INFRA_CONVERSATION}"}
`;

/** gina and olga have no Teams id in principals.yaml: the Bot Connector's member API finds them by UPN / e-mail. */
export const TEAMS_PRINCIPALS = `principals:
  - {id: "svc:etl-bot", kind: service, groups: [pipelines]}
  - {id: "alice@example.com", kind: human, groups: [data-owners], teams: "${AAD.alice}"}
  - {id: "bob@example.com", kind: human, groups: [data-owners], slack: U0BOB, teams: "${AAD.bob.toUpperCase()}"}
  - {id: "gina@example.com", kind: human, groups: [data-owners], slack: U0GINA}
  - {id: "riley@example.com", kind: human, groups: [data-owners], teams: "${AAD.riley}"}
  - {id: "carol@example.com", kind: human, groups: [security-oncall], teams: "${AAD.carol}"}
  - {id: "olga@example.com", kind: human, groups: [security-oncall]}
  - {id: "sre@example.com", kind: human, groups: [sre-oncall]}
  - {id: "dave@example.com", kind: human, groups: [auditors]}
`;

/** The members every conversation of the stand-in has (Teams user ids are `29:...`). */
export const TEAMS_MEMBERS = [
  { id: '29:bob', aadObjectId: AAD.bob, name: 'Bob' },
  { id: '29:gina', aadObjectId: AAD.gina, name: 'Gina', userPrincipalName: 'Gina@example.com' },
  { id: '29:olga', aadObjectId: AAD.olga, name: 'Olga', userPrincipalName: 'olga@contoso.onmicrosoft.com', email: 'Olga@Example.com' },
  { id: '29:nobody', aadObjectId: AAD.nobody, name: 'Nobody', userPrincipalName: 'nobody@elsewhere.test' },
];

export function teamsEnv(issuer: BotFrameworkIssuer, connector: BotConnectorFake): Record<string, string> {
  return {
    TEAMS_APP_ID: TEAMS_APP.id,
    TEAMS_APP_PASSWORD: TEAMS_APP.password,
    TEAMS_TENANT_ID: TEAMS_TENANT,
    TEAMS_DEFAULT_CONVERSATION: DEFAULT_CONVERSATION,
    TEAMS_SERVICE_URL: connector.url,
    TEAMS_OPENID_METADATA_URL: issuer.openIdMetadataUrl,
    TEAMS_TOKEN_URL: issuer.tokenUrl,
  };
}

export interface TeamsSuite {
  readonly stack: TestStack;
  readonly issuer: BotFrameworkIssuer;
  readonly connector: BotConnectorFake;
}

/** For one suite: the identity and Bot Connector stand-ins and a real stack with the Teams channel on it. */
export function teamsStackForSuite(opts: StackOptions & { env?: Record<string, string> } = {}): TeamsSuite {
  const held = {} as { stack: TestStack; issuer: BotFrameworkIssuer; connector: BotConnectorFake };
  before(async () => {
    held.issuer = await new BotFrameworkIssuer(TEAMS_APP).start();
    held.connector = await new BotConnectorFake(held.issuer).start();
    held.connector.addMembers(...TEAMS_MEMBERS);
    held.stack = await startStack({ policy: TEAMS_POLICY, principals: TEAMS_PRINCIPALS, teams: true, ...opts, env: { ...teamsEnv(held.issuer, held.connector), ...opts.env } });
  });
  after(async () => {
    await held.stack?.stop();
    await held.connector?.stop();
    await held.issuer?.stop();
  });
  return held;
}

/** The Adaptive Cards SDK's own parser (its package's browser bundle also loads under Node): the warnings it gives for a card. */
export function adaptiveCardWarnings(card: unknown): string[] {
  const AC = createRequire(import.meta.url)('adaptivecards/dist/adaptivecards.js');
  const parsed = new AC.AdaptiveCard();
  const context = new AC.SerializationContext(AC.Versions.v1_5);
  parsed.parse(card, context);
  const warnings: string[] = [];
  for (let i = 0; i < context.eventCount; i++) warnings.push(context.getEventAt(i).message);
  for (const issue of parsed.validateProperties().allIssues ?? []) warnings.push(issue.message);
  if (parsed.version?.toString() !== '1.5') warnings.push(`version ${parsed.version?.toString()} instead of 1.5`);
  return warnings;
}
