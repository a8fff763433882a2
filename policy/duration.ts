const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };
const DURATION = /^(\d+(?:\.\d+)?)(s|m|h|d)$/;

/** Parses a policy duration (`30s`, `10m`, `1.5h`, `2d`) into seconds; null when the text is not one. */
export function parseDuration(text: string): number | null {
  const m = DURATION.exec(text.trim());
  if (!m) return null;
  return Number(m[1]) * UNIT_SECONDS[m[2]];
}

/** Renders seconds back in the largest whole unit, for messages (`1800` -> `30m`). */
export function formatDuration(seconds: number): string {
  for (const unit of ['d', 'h', 'm'] as const) {
    const n = seconds / UNIT_SECONDS[unit];
    if (Number.isInteger(n) && n > 0) return `${n}${unit}`;
  }
  return `${seconds}s`;
}
