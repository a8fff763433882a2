import type { Action } from '../domain/action';
import type { AuditEvent } from '../domain/audit-event';
import { redactSecretParams } from '../domain/secret-params';

/** Text for HTML: every value from an action or a person goes through here. */
export function esc(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

export interface PageFrame {
  title: string;
  who: { id: string; auditor: boolean } | null;
  csrf: string | null;
  notice?: string | null;
}

export function page(frame: PageFrame, body: string): string {
  const nav = frame.who
    ? `<nav aria-label="Console"><a href="/console">My approvals</a>${frame.who.auditor ? ' <a href="/console/audit">Audit</a>' : ''}
       <form method="post" action="/console/logout" class="inline"><input type="hidden" name="csrf" value="${esc(frame.csrf)}"><button type="submit">Sign out ${esc(frame.who.id)}</button></form></nav>`
    : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(frame.title)} · Interlock</title><link rel="stylesheet" href="/console/static/console.css"><script src="/console/static/console.js" defer></script></head>
<body><header><p class="brand">Interlock</p>${nav}</header>
<main id="main"><h1>${esc(frame.title)}</h1>${frame.notice ? `<p role="status" class="notice">${esc(frame.notice)}</p>` : ''}${body}</main></body></html>`;
}

export function timeLeft(expiresAt: string | null | undefined, now = Date.now()): string {
  if (!expiresAt) return '—';
  const s = Math.round((Date.parse(expiresAt) - now) / 1000);
  if (s <= 0) return 'due';
  // Whole minutes, rounded up (never "0 min" while time is left), then split: 7199 s is "2 h 0 min", not "1 h 60 min".
  const minutes = Math.ceil(s / 60);
  if (minutes < 60) return `${minutes} min`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

export function queuePage(actions: Action[]): string {
  if (actions.length === 0) return '<p>No action waits for your decision.</p>';
  const rows = actions
    .map((a) => `<tr><td><a href="/console/actions/${esc(a.id)}">${esc(a.action)}</a></td><td>${esc(a.resource)}</td><td>${esc(a.environment)}</td><td>${esc(a.requester)}${a.onBehalfOf ? ` for ${esc(a.onBehalfOf)}` : ''}</td><td>${esc(a.decision?.risk ?? 'not rated')}</td><td>${esc(timeLeft(a.decision?.expiresAt))}</td></tr>`)
    .join('');
  return `<table><caption>Pending actions you may decide, newest first</caption><thead><tr><th scope="col">Action</th><th scope="col">Resource</th><th scope="col">Environment</th><th scope="col">Who asks</th><th scope="col">Risk</th><th scope="col">Time left</th></tr></thead><tbody>${rows}</tbody></table>`;
}

const json = (v: unknown) => `<pre>${esc(JSON.stringify(v, null, 2))}</pre>`;

export interface VoteBox {
  csrf: string;
  /** Why the person cannot vote (null: the form is shown). */
  blocked: string | null;
  /** A step-up rule and a sign-in that is too old: the form is replaced by a fresh-login link. */
  stepUpLink: string | null;
}

export function actionPage(a: Action, events: AuditEvent[], vote: VoteBox): string {
  const d = a.decision;
  const facts: [string, string][] = [
    ['Status', `<strong data-live-status>${esc(a.status)}</strong>`],
    ['Action', esc(a.action)],
    ['Resource', esc(a.resource)],
    ['Environment', esc(a.environment)],
    ['Requester', esc(a.requester)],
    ['On behalf of', esc(a.onBehalfOf ?? '—')],
    ['Justification', esc(a.justification ?? 'none given')],
    ['Rule', esc(d?.ruleId ?? 'default')],
    ['Risk', esc(d?.risk ?? 'not rated')],
    ['Approvers', esc([...(d?.approvers.groups.map((g) => `group ${g}`) ?? []), ...(d?.approvers.principals ?? [])].join(', ') || 'nobody')],
    ['Quorum', esc(d?.quorum ?? 0)],
    ['Time left', esc(timeLeft(d?.expiresAt))],
    ['Step-up', d?.stepUp ? `a sign-in within ${esc(d.stepUp.maxAgeSeconds)} s` : 'no'],
    ['Controls', esc(d?.controls.join(', ') || '—')],
  ];
  const history = a.approvals.length
    ? `<ol>${a.approvals.map((v) => `<li>${esc(v.at)}: ${esc(v.principal)} ${v.decision === 'approve' ? 'approved' : 'denied'} via ${esc(v.via)}${v.comment ? `: “${esc(v.comment)}”` : ''}</li>`).join('')}</ol>`
    : '<p>No votes yet.</p>';
  const trail = `<table><caption>Audit events of this action</caption><thead><tr><th scope="col">#</th><th scope="col">At</th><th scope="col">Type</th><th scope="col">Actor</th></tr></thead><tbody>${events.map((e) => `<tr><td>${esc(e.seq)}</td><td>${esc(e.at)}</td><td>${esc(e.type)}</td><td>${esc(e.actor)}</td></tr>`).join('')}</tbody></table>`;
  let decide = '';
  if (vote.stepUpLink) {
    decide = `<section aria-labelledby="decide"><h2 id="decide">Decide</h2><p>This rule needs a recent sign-in before an approval counts.</p><p><a class="button" href="${esc(vote.stepUpLink)}">Sign in again to approve</a></p>${denyForm(a, vote.csrf)}</section>`;
  } else if (vote.blocked) {
    decide = `<p class="muted">${esc(vote.blocked)}</p>`;
  } else {
    decide = `<section aria-labelledby="decide"><h2 id="decide">Decide</h2>
<form method="post" action="/console/actions/${esc(a.id)}/decisions"><input type="hidden" name="csrf" value="${esc(vote.csrf)}">
<label for="comment">Comment</label><textarea id="comment" name="comment" rows="3" maxlength="2000"></textarea>
<div class="buttons"><button type="submit" name="decision" value="approve">Approve</button> <button type="submit" name="decision" value="deny" class="danger">Deny</button></div></form></section>`;
  }
  return `<div data-live-action="${esc(a.id)}" data-live-updated="${esc(a.updatedAt)}">
<dl class="facts">${facts.map(([k, v]) => `<dt>${k}</dt><dd>${v}</dd>`).join('')}</dl>
${decide}
<h2>Parameters</h2>${json(redactSecretParams(a.params))}
<h2>Context</h2>${json(a.context ?? {})}
${a.execute.type !== 'none' ? `<h2>Execution</h2>${json(a.execute)}` : ''}
${a.result ? `<h2>Result</h2>${json(a.result)}` : ''}
<h2>History</h2>${history}
<h2>Audit trail</h2>${trail}</div>`;
}

function denyForm(a: Action, csrf: string): string {
  return `<form method="post" action="/console/actions/${esc(a.id)}/decisions"><input type="hidden" name="csrf" value="${esc(csrf)}"><label for="comment">Comment</label><textarea id="comment" name="comment" rows="3" maxlength="2000"></textarea><button type="submit" name="decision" value="deny" class="danger">Deny</button></form>`;
}

export function loginPage(opts: { oidc: boolean; returnTo: string; csrf: string; error?: string | null }): string {
  const err = opts.error ? `<p role="alert" class="error">${esc(opts.error)}</p>` : '';
  if (opts.oidc) return `${err}<p><a class="button" href="/console/login/oidc?return=${encodeURIComponent(opts.returnTo)}">Sign in with your identity provider</a></p>`;
  return `${err}<form method="post" action="/console/login"><input type="hidden" name="csrf" value="${esc(opts.csrf)}"><input type="hidden" name="return" value="${esc(opts.returnTo)}">
<label for="token">Interlock token</label><input id="token" name="token" type="password" autocomplete="off" required>
<p class="muted" id="token-help">Create one with <code>npx interlock token create &lt;your-id&gt;</code>. It is checked and not stored in your browser.</p>
<button type="submit">Sign in</button></form>`;
}

export interface AuditQuery {
  action_id?: string;
  actor?: string;
  type?: string;
  from?: string;
  to?: string;
}

export function auditPage(q: AuditQuery, types: string[], events: AuditEvent[] | null, verification: { ok: boolean; count: number; message: string } | null, csrf: string): string {
  const field = (name: keyof AuditQuery, label: string, type = 'text') => `<div><label for="${name}">${label}</label><input id="${name}" name="${name}" type="${type}" value="${esc(q[name] ?? '')}"></div>`;
  const typeSelect = `<div><label for="type">Type</label><select id="type" name="type"><option value="">any</option>${types.map((t) => `<option${q.type === t ? ' selected' : ''}>${esc(t)}</option>`).join('')}</select></div>`;
  const results = events
    ? `<table><caption>${events.length} events</caption><thead><tr><th scope="col">#</th><th scope="col">At</th><th scope="col">Type</th><th scope="col">Actor</th><th scope="col">Action</th></tr></thead><tbody>${events.map((e) => `<tr><td>${esc(e.seq)}</td><td>${esc(e.at)}</td><td>${esc(e.type)}</td><td>${esc(e.actor)}</td><td>${e.actionId ? `<a href="/console/actions/${esc(e.actionId)}">${esc(e.actionId)}</a>` : '—'}</td></tr>`).join('')}</tbody></table>`
    : '';
  const verified = verification ? `<p role="status" class="${verification.ok ? 'ok' : 'error'}" data-verify-result>${verification.ok ? 'Verified' : 'Broken'}: ${esc(verification.count)} events. ${esc(verification.message)}</p>` : '';
  return `<form method="get" action="/console/audit" class="filters">${field('action_id', 'Action id')}${field('actor', 'Actor')}${typeSelect}${field('from', 'From (ISO time)')}${field('to', 'To (ISO time)')}<button type="submit">Search</button></form>
<form method="post" action="/console/audit/verify"><input type="hidden" name="csrf" value="${esc(csrf)}"><button type="submit">Verify the trail</button></form>${verified}
<p><a class="button" href="/console/audit/export?format=jsonl${q.from ? `&amp;from=${encodeURIComponent(q.from)}` : ''}${q.to ? `&amp;to=${encodeURIComponent(q.to)}` : ''}" download>Download evidence export (JSONL)</a></p>
${results}`;
}
