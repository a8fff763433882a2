/** Slack's control characters in text: escaped so nothing a requester types becomes a mention, link or @channel. */
export function escapeText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** At most `max` characters, with an ellipsis when cut (Slack rejects over-long block text outright). */
export function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** A time every reader sees in their own time zone; the ISO string is the fallback for clients that cannot. */
export function slackDate(iso: string, format = '{date_short_pretty} at {time}'): string {
  const seconds = Math.floor(Date.parse(iso) / 1000);
  return Number.isNaN(seconds) ? escapeText(iso) : `<!date^${seconds}^${format}|${iso}>`;
}

export function mention(slackUserId: string): string {
  return `<@${slackUserId}>`;
}
