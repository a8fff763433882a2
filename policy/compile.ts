import { createHash } from 'node:crypto';
import { LineCounter, parseDocument } from 'yaml';
import { compileCondition } from './condition';
import { readPolicy } from './policy-schema';
import { PolicyVersion } from './policy-version';
import type { CompiledPolicy, PolicyDefinition } from './types';
import { PolicyError, ProblemList } from './problems';

/** `sha256:<hex>` of the file bytes: the policy version every decision records. */
export function policyVersionOf(text: string | Uint8Array): string {
  return 'sha256:' + createHash('sha256').update(text).digest('hex');
}

/**
 * Parses, validates and compiles a policy file. Throws `PolicyError` listing every problem with its line
 * (YAML syntax, schema, CEL syntax and types, duplicate ids, tests naming unknown rules).
 */
export function compilePolicy(text: string, opts: { source?: string } = {}): CompiledPolicy {
  const source = opts.source ?? 'policy.yaml';
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true });
  const problems = new ProblemList(lineCounter);
  if (doc.errors.length > 0) {
    // The tree of a document with syntax errors is unreliable; report the syntax first.
    for (const e of doc.errors) problems.items.push({ line: e.linePos?.[0].line ?? null, ruleId: null, path: '', message: `YAML syntax: ${yamlMessage(e.message)}` });
    throw new PolicyError(source, problems.items);
  }
  const definition = readPolicy(doc, problems);
  const rules = definition.rules.map((rule, i) => ({ definition: rule, condition: compileCondition(rule, i, problems) }));
  reportUnknownTestRules(definition, problems);
  if (problems.items.length > 0) throw new PolicyError(source, sortByLine(problems.items));
  return new PolicyVersion(policyVersionOf(text), source, definition.defaults, rules);
}

function reportUnknownTestRules(definition: PolicyDefinition, problems: ProblemList): void {
  const ids = new Set(definition.rules.map((r) => r.id));
  definition.rules.forEach((rule, i) => {
    for (const t of rule.tests) {
      if (typeof t.expect.rule !== 'string' || ids.has(t.expect.rule)) continue;
      problems.items.push({ line: t.line, ruleId: rule.id, path: `rules[${i}].tests[${t.index}].expect.rule`, message: `names rule "${t.expect.rule}", which does not exist` });
    }
  });
}

// prettyErrors appends the position and a source excerpt; the problem already carries the line.
const yamlMessage = (m: string) => m.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
const sortByLine = <T extends { line: number | null }>(items: T[]) => items.slice().sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
