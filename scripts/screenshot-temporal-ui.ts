// `tsx scripts/screenshot-temporal-ui.ts [out.png]`: the pictures in the README. Starts a dev server with its UI,
// Interlock (API and worker, embedded PGlite) against it, submits a production export that needs two approvals,
// casts one, and photographs the workflow's page in Temporal UI with headless Chromium (CHROMIUM_PATH, default
// /usr/bin/chromium). Everything it starts is stopped before it exits.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { loadConfig } from '../config';
import { findTemporalCli, startDevServer } from '../devserver';
import { createToken } from '../identity';
import { createLogger } from '../observability';
import { Lifecycle, openChannels, openProcess, startApiRole, startWorkerRole } from '../processes';

const out = path.resolve(process.argv[2] ?? 'docs/temporal-ui-action.png');
const dataDir = mkdtempSync(path.join(tmpdir(), 'interlock-screenshot-'));
const port = 17500 + Math.floor(Math.random() * 400);
const log = createLogger({ level: 'warn', pretty: false });
const lifecycle = new Lifecycle(log);

try {
  const server = await startDevServer({ binary: findTemporalCli({ explicit: process.env.TEMPORAL_CLI_PATH }), dataDir, port, uiPort: port + 1000, dbFile: null });
  lifecycle.add('dev server', () => server.stop());
  const config = loadConfig({ ...process.env, PORT: '0', INTERLOCK_DATA_DIR: dataDir, DATABASE_URL: '', TEMPORAL_ADDRESS: server.address, TEMPORAL_UI_URL: server.uiUrl!, INTERLOCK_TARGETS: path.join(dataDir, 'none.yaml') });
  const p = await openProcess(config, log, lifecycle);
  const channels = await openChannels(p);
  await startWorkerRole(p, { address: server.address, channels });
  const api = await startApiRole(p, { address: server.address, channels });
  const db = p.services.database.db;
  const token = async (id: string) => (await createToken(db, id, 'screenshot')).token;
  const call = async (who: string, route: string, body: unknown) => {
    const res = await fetch(api.url + route, { method: 'POST', headers: { authorization: `Bearer ${await token(who)}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    if (!res.ok) throw new Error(`${route}: ${res.status} ${await res.text()}`);
    return (await res.json()) as { id: string };
  };
  const action = await call('svc:etl-bot', '/v1/actions', {
    action: 'db.export', resource: 'postgres://prod/customers', environment: 'production', onBehalfOf: 'alice@example.com',
    params: { table: 'customers', destination: 's3://finance-exports/2026-11' }, justification: 'monthly revenue reconciliation',
  });
  for (let i = 0; i < 100; i++) {
    const res = await fetch(`${api.url}/v1/actions/${action.id}`, { headers: { authorization: `Bearer ${await token('svc:etl-bot')}` } });
    if (((await res.json()) as { status: string }).status === 'pending_approval') break;
    await new Promise((r) => setTimeout(r, 100));
  }
  await call('bob@example.com', `/v1/actions/${action.id}/decisions`, { decision: 'approve', comment: 'checked the destination bucket' });

  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: ['--no-sandbox'] });
  lifecycle.add('browser', () => browser.close());
  const page = await browser.newPage({ viewport: { width: 1440, height: 1100 } });
  await page.goto(`${server.uiUrl}/namespaces/default/workflows/${action.id}`, { waitUntil: 'load' }); // not networkidle: the UI keeps polling a workflow with an Update in flight
  await page.getByText('1 of 2 approvals').first().waitFor({ timeout: 30_000 }).catch(() => log.warn('current details not shown; taking the page as it is'));
  await page.screenshot({ path: out, fullPage: false });
  // The second picture: the summary, details and current details the workflow carries (its User Metadata tab).
  const metadataOut = out.replace(/\.png$/, '-metadata.png');
  await page.getByText('User Metadata', { exact: true }).first().click();
  await page.getByText('require_approval').first().waitFor({ timeout: 15_000 }).catch(() => log.warn('static details not shown; taking the page as it is'));
  await page.screenshot({ path: metadataOut, fullPage: false });
  process.stdout.write(`screenshots of ${action.id}: ${out}, ${metadataOut}\n`);
} finally {
  await lifecycle.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
