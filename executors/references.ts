// LEAD: a stand-in for targets/references.ts `resolveRefs` (H1), same signature; replace the import in
// executors/postgres.ts with it and delete this file once the targets room is on main.
import { readFile } from 'node:fs/promises';

const REFERENCE = /\$\{(env|file):([^}]*)\}/g;

/** A template with its `${env:NAME}` / `${file:/path}` references replaced, and the values that replaced them (for scrubbing). */
export async function resolveRefs(template: string): Promise<{ value: string; secrets: string[] }> {
  const secrets: string[] = [];
  let value = '';
  let last = 0;
  for (const m of template.matchAll(REFERENCE)) {
    const [text, kind, name] = m;
    const resolved = kind === 'env' ? process.env[name] : await readFile(name, 'utf8').then((t) => t.replace(/\r?\n$/, ''), () => undefined);
    // Names the reference, never a value.
    if (!resolved) throw new Error(`${text} has no value in the worker (${kind === 'env' ? 'unset or empty' : 'unreadable or empty'})`);
    secrets.push(resolved);
    value += template.slice(last, m.index) + resolved;
    last = m.index + text.length;
  }
  return { value: value + template.slice(last), secrets };
}
