import type { LineCounter, Node } from 'yaml';
import type { PolicyProblem } from './errors';

/** Collects problems with their line, so validation carries on and reports everything in one pass. */
export class ProblemList {
  readonly items: PolicyProblem[] = [];
  constructor(private readonly lines: LineCounter) {}

  lineOf(node: unknown): number | null {
    const range = (node as Node | null | undefined)?.range;
    return range ? this.lines.linePos(range[0]).line : null;
  }

  add(node: unknown, path: string, message: string, ruleId: string | null = null): void {
    this.items.push({ line: this.lineOf(node), ruleId, path, message });
  }
}

/** The allowed key within two edits of a typo, for a "did you mean" hint. */
export function closest(key: string, allowed: readonly string[]): string | undefined {
  const distance = (a: string, b: string) => {
    let row = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
      const next = [i];
      for (let j = 1; j <= b.length; j++) next[j] = Math.min(row[j] + 1, next[j - 1] + 1, row[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      row = next;
    }
    return row[b.length];
  };
  const best = allowed.map((k) => ({ k, d: distance(key.toLowerCase(), k) })).sort((x, y) => x.d - y.d)[0];
  return best && best.d <= 2 ? best.k : undefined;
}

