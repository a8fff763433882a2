import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import AxeBuilder from '@axe-core/playwright';
import { chromium, type Browser, type Page } from 'playwright-core';
import { peopleIssuerYaml, startIdp, type TestIdp } from '../support/idp';
import { freePort } from '../support/ports';
import { DEFAULT_PRINCIPALS, startStack, type TestStack } from '../support/stack';

/**
 * The console in headless Chromium (the Debian package), signing in through the real oidc-provider's login page:
 * approve with a comment and watch the action change, the requester's view, a step-up rule's fresh login, the
 * auditor's verify and export, and axe-core over each page. INTERLOCK_SCREENSHOTS=<dir> also saves screenshots.
 */

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SCREENSHOTS = process.env.INTERLOCK_SCREENSHOTS;
const POLICY = `version: 1
defaults: {decision: deny, timeout: 2h}
rules:
  - id: prod-data-export
    when: action == "db.export"
    decision: require_approval
    approvers: {groups: [data-owners], quorum: 1}
    risk: high
    controls: ["SOC2:CC6.1"]
  - id: prod-table-drop
    when: action == "db.drop"
    decision: require_approval
    approvers: {groups: [data-owners], quorum: 1}
    risk: critical
    step_up: {max_age: 3s}
`;

describe('the console in a browser, signed in through the identity provider', () => {
  let idp: TestIdp;
  let stack: TestStack;
  let browser: Browser;

  before(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: apt-get install -y chromium (or set CHROMIUM_PATH)`);
    const port = await freePort();
    const publicUrl = `http://127.0.0.1:${port}`;
    idp = await startIdp([], {
      clientId: 'interlock-console',
      secret: 'console-secret-0123456789abcdef',
      redirectUri: `${publicUrl}/console/callback`,
      accounts: { 'alice@example.com': { groups: ['data-owners'] }, 'dave@example.com': { groups: [] }, 'carol@example.com': { groups: ['data-owners'] } },
    });
    const principals = `${DEFAULT_PRINCIPALS}issuers:
${peopleIssuerYaml(idp.issuer)}`;
    stack = await startStack({ policy: POLICY, principals, env: { PORT: String(port), INTERLOCK_PUBLIC_URL: publicUrl, INTERLOCK_OIDC_CLIENT_SECRET: 'console-secret-0123456789abcdef' } });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  });
  after(async () => {
    await browser?.close();
    await stack?.stop();
    await idp?.stop();
  });

  const pending = async (action: string, as = 'svc:etl-bot') => {
    const a = await stack.submit(as, { action, resource: 'postgres://prod/customers', environment: 'production', params: { table: 'customers', destination: 's3://finance-exports/2026-11' }, justification: 'monthly revenue reconciliation', context: { agent: 'etl-bot', runUrl: 'https://ci.example.com/runs/42' } });
    return stack.until(as, a.id, (x) => x.status === 'pending_approval');
  };
  const signIn = async (page: Page, email: string) => {
    await page.getByRole('link', { name: 'Sign in with your identity provider' }).click();
    await page.locator('input[name="login"]').fill(email);
    await page.locator('input[name="password"]').fill('any password');
    await page.getByRole('button', { name: 'Sign-in' }).click();
  };
  const noSeriousViolations = async (page: Page) => {
    const { violations } = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21aa']).analyze();
    const serious = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    assert.deepEqual(serious.map((v) => `${v.id}: ${v.help}`), []);
  };
  const shoot = async (page: Page, name: string) => {
    if (!SCREENSHOTS) return;
    mkdirSync(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: path.join(SCREENSHOTS, name), fullPage: true });
  };

  test('an approver signs in at the IdP, sees the pending action, approves with a comment and sees it turn succeeded', async () => {
    const action = await pending('db.export');
    const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
    const page = await context.newPage();
    await page.goto(`${stack.url}/console`);
    await noSeriousViolations(page);
    await signIn(page, 'alice@example.com');
    await page.waitForURL(`${stack.url}/console`);
    await page.getByRole('link', { name: 'db.export' }).first().waitFor();
    await noSeriousViolations(page);
    await shoot(page, 'console-queue.png');
    await page.goto(`${stack.url}/console/actions/${action.id}`);
    await page.getByText('monthly revenue reconciliation').waitFor();
    await noSeriousViolations(page);
    await shoot(page, 'console-action.png');
    await page.getByLabel('Comment').fill('numbers match the ledger');
    await page.getByRole('button', { name: 'Approve' }).click();
    await page.getByText('Your approval is recorded.').waitFor();
    // Gate mode: the pipeline runs the operation and reports; the open page follows by itself.
    const approved = await stack.until('svc:etl-bot', action.id, (x) => x.status === 'approved');
    assert.equal(approved.approvals[0].via, 'console');
    assert.equal(approved.approvals[0].comment, 'numbers match the ledger');
    assert.ok(approved.approvals[0].authTime, 'the vote records when the approver signed in');
    const reported = await stack.call('svc:etl-bot', 'POST', `/v1/actions/${action.id}/result`, { status: 'succeeded', output: 'exported 1200 rows' });
    assert.equal(reported.status, 200, JSON.stringify(reported.body));
    await page.locator('[data-live-status]', { hasText: 'succeeded' }).waitFor({ timeout: 10_000 });
    await context.close();
  });

  test("the requester's console shows no approve button on its own action", async () => {
    const action = await pending('db.export', 'carol@example.com');
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${stack.url}/console/actions/${action.id}`);
    await signIn(page, 'carol@example.com');
    await page.getByText('You asked for this action').waitFor();
    assert.equal(await page.getByRole('button', { name: 'Approve' }).count(), 0);
    await context.close();
  });

  test('a step-up rule forces a fresh login before the vote counts', async () => {
    const action = await pending('db.drop');
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${stack.url}/console/actions/${action.id}`);
    await signIn(page, 'alice@example.com');
    // The sign-in is older than the rule's 3 s once the page is reloaded after that: the page offers a fresh login only.
    const again = page.getByRole('link', { name: 'Sign in again to approve' });
    for (let i = 0; i < 60 && !(await again.count()); i++) await page.reload();
    assert.equal(await page.getByRole('button', { name: 'Approve' }).count(), 0);
    await again.click();
    await page.locator('input[name="login"]').waitFor(); // prompt=login: the IdP asks again although its session lives
    await page.locator('input[name="login"]').fill('alice@example.com');
    await page.locator('input[name="password"]').fill('any password');
    await page.getByRole('button', { name: 'Sign-in' }).click();
    await page.getByRole('button', { name: 'Approve' }).click();
    await page.getByText('Your approval is recorded.').waitFor();
    const approved = await stack.until('svc:etl-bot', action.id, (x) => x.status === 'approved');
    assert.equal(approved.approvals[0].via, 'console');
    await context.close();
  });

  test('an auditor verifies the trail and downloads the evidence export', async () => {
    const context = await browser.newContext({ acceptDownloads: true });
    const page = await context.newPage();
    await page.goto(`${stack.url}/console/audit`);
    await signIn(page, 'dave@example.com');
    await page.getByRole('button', { name: 'Verify the trail' }).waitFor();
    await noSeriousViolations(page);
    await page.getByRole('button', { name: 'Verify the trail' }).click();
    await page.getByText(/Verified: \d+ events/).waitFor();
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: /Download evidence export/ }).click()]);
    assert.equal(download.suggestedFilename(), 'interlock-evidence.jsonl');
    await context.close();
  });
});
