import { isScalar, type Node } from 'yaml';
import { DecisionOutcome } from '../domain';
import type { RuleTest, TestExpectation } from './types';
import { MapReader } from './yaml-reader';

const OUTCOMES = Object.values(DecisionOutcome);
const INPUT_KEYS = ['action', 'resource', 'environment', 'params', 'context', 'requester', 'onBehalfOf', 'justification', 'breakGlass', 'now', 'execute'] as const;
const STRING_KEYS = ['action', 'resource', 'environment', 'justification'] as const;

type TestInput = RuleTest['input'];

/** `tests: [{input, expect}]` of one rule; inputs are checked against the PolicyInput fields so a typo fails here. */
export function readRuleTests(rule: MapReader): RuleTest[] {
  const items = rule.list('tests');
  if (!items) return [];
  const tests: RuleTest[] = [];
  items.forEach((item, index) => {
    const t = MapReader.of(rule.problems, item, `${rule.pathOf('tests')}[${index}]`, rule.ruleId, ['input', 'expect']);
    if (!t) return;
    const input = t.require('input', 'the submission to evaluate') ? readInput(t) : undefined;
    const expect = t.require('expect', 'an outcome, or {outcome, rule, quorum, approvers}') ? readExpectation(t) : undefined;
    if (input && expect) tests.push({ index, line: t.problems.lineOf(item), input, expect });
  });
  return tests;
}

function readInput(test: MapReader): TestInput | undefined {
  const r = test.map('input', INPUT_KEYS);
  if (!r) return undefined;
  const json = r.node.toJSON() as Record<string, unknown>;
  const input: TestInput = {};
  const bad = (key: string, what: string) => r.report(r.raw(key), r.pathOf(key), `must be ${what}`);
  for (const key of STRING_KEYS) {
    if (!r.has(key)) continue;
    if (typeof json[key] === 'string') input[key] = json[key] as string;
    else bad(key, 'a string (quote it if it looks like a number)');
  }
  for (const key of ['params', 'context'] as const) {
    if (!r.has(key)) continue;
    if (isObject(json[key])) input[key] = json[key] as Record<string, unknown>;
    else bad(key, 'a mapping');
  }
  if (r.has('onBehalfOf')) {
    if (json.onBehalfOf === null || typeof json.onBehalfOf === 'string') input.onBehalfOf = json.onBehalfOf as string | null;
    else bad('onBehalfOf', 'a string or null');
  }
  if (r.has('breakGlass')) input.breakGlass = r.bool('breakGlass');
  if (r.has('now')) {
    const at = typeof json.now === 'string' ? new Date(json.now) : null;
    if (at && !Number.isNaN(at.getTime())) input.now = at;
    else bad('now', 'an RFC 3339 timestamp such as "2026-01-31T09:00:00Z"');
  }
  const execute = r.map('execute', ['type', 'target']);
  if (execute) {
    input.execute = {};
    if (execute.has('type')) input.execute.type = execute.string('type');
    if (execute.has('target')) {
      const target = execute.raw('target');
      input.execute.target = target === null || (isScalar(target) && target.value === null) ? null : execute.string('target');
    }
  }
  const requester = r.map('requester', ['id', 'kind', 'groups']);
  if (requester) {
    input.requester = {};
    if (requester.has('id')) input.requester.id = requester.string('id');
    if (requester.has('kind')) input.requester.kind = requester.oneOf('kind', ['human', 'service']);
    if (requester.has('groups')) input.requester.groups = requester.strings('groups');
  }
  return input;
}

function readExpectation(test: MapReader): TestExpectation | undefined {
  const node = test.raw('expect');
  if (isScalar(node)) {
    const outcome = test.oneOf('expect', OUTCOMES);
    return outcome ? { outcome } : undefined;
  }
  const r = test.map('expect', ['outcome', 'rule', 'quorum', 'approvers']);
  if (!r || !r.require('outcome', OUTCOMES.join(' | '))) return undefined;
  const outcome = r.oneOf('outcome', OUTCOMES);
  if (!outcome) return undefined;
  const expect: TestExpectation = { outcome };
  if (r.has('rule')) {
    const rule = r.raw('rule') as Node | null;
    // `rule: null` (or `~`) asserts that no rule matched and the default applied.
    expect.rule = rule === null || (isScalar(rule) && rule.value === null) ? null : r.string('rule');
  }
  if (r.has('quorum')) expect.quorum = r.integer('quorum', 0);
  const approvers = r.map('approvers', ['groups', 'principals']);
  if (approvers) expect.approvers = { groups: approvers.strings('groups') ?? [], principals: approvers.strings('principals') ?? [] };
  return expect;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
