// Secret references in targets.yaml (`${env:NAME}`, `${file:/path}`): checked when the file loads, resolved only
// inside the activity that executes, so no value ever reaches a workflow history, the audit trail or a log.
import { readFile } from 'node:fs/promises';
import path from 'node:path';

const REFERENCE = /\$\{([a-z]+):([^}]*)\}/g;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** One `${kind:name}` in a template, as written. */
export interface Reference {
  text: string;
  kind: 'env' | 'file';
  name: string;
}

/** Why a template's references cannot work (wrong kind, bad variable name, relative path, unclosed `${`); empty when fine. */
export function referenceProblems(template: string): string[] {
  const problems: string[] = [];
  for (const m of template.matchAll(REFERENCE)) {
    const [text, kind, name] = m;
    if (kind === 'env' && !ENV_NAME.test(name)) problems.push(`${text}: "${name}" is not an environment variable name (letters, digits and _, not starting with a digit)`);
    else if (kind === 'file' && !path.isAbsolute(name)) problems.push(`${text}: the file must be an absolute path, e.g. \${file:/run/secrets/token}`);
    else if (kind !== 'env' && kind !== 'file') problems.push(`${text}: unknown reference kind "${kind}"; write \${env:NAME} or \${file:/absolute/path}`);
  }
  if (template.replace(REFERENCE, '').includes('${')) problems.push('a "${" does not start a complete reference; write ${env:NAME} or ${file:/absolute/path}');
  return problems;
}

export function referencesIn(template: string): Reference[] {
  return [...template.matchAll(REFERENCE)].map(([text, kind, name]) => ({ text, kind: kind as Reference['kind'], name }));
}

/** Thrown when a reference has no value right now; names the reference, never a value. */
export class UnresolvedReference extends Error {
  override readonly name = 'UnresolvedReference';
  constructor(readonly reference: string, reason: string) {
    super(`${reference} ${reason}`);
  }
}

/** Where reference values come from; the process environment and the file system unless a test says otherwise. */
export interface ReferenceSources {
  env: NodeJS.ProcessEnv;
  readFile(file: string): Promise<string>;
}

export const systemSources: ReferenceSources = { env: process.env, readFile: (file) => readFile(file, 'utf8') };

/** A template with its references replaced, and the values that replaced them (for redaction). */
export interface Resolved {
  value: string;
  secrets: string[];
}

/**
 * Replaces every reference in `template`. Only an executing activity calls this. A variable that is unset or
 * empty, or a file that cannot be read or is empty, throws UnresolvedReference: nothing is sent with a hole in it.
 * A file's single trailing newline is dropped (`echo token > file`).
 */
export async function resolveRefs(template: string, sources: ReferenceSources = systemSources): Promise<Resolved> {
  const secrets: string[] = [];
  let value = '';
  let last = 0;
  for (const m of template.matchAll(REFERENCE)) {
    const [text, kind, name] = m;
    const resolved = kind === 'env' ? fromEnv(text, name, sources) : await fromFile(text, name, sources);
    secrets.push(resolved);
    value += template.slice(last, m.index) + resolved;
    last = m.index + text.length;
  }
  return { value: value + template.slice(last), secrets };
}

function fromEnv(text: string, name: string, sources: ReferenceSources): string {
  const value = sources.env[name];
  if (value === undefined || value === '') throw new UnresolvedReference(text, `is not set in the worker's environment`);
  return value;
}

async function fromFile(text: string, file: string, sources: ReferenceSources): Promise<string> {
  let content: string;
  try {
    content = await sources.readFile(file);
  } catch (err) {
    throw new UnresolvedReference(text, `cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  const value = content.replace(/\r?\n$/, '');
  if (value === '') throw new UnresolvedReference(text, 'is an empty file');
  return value;
}
