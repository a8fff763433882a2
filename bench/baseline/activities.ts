/** The same call Interlock's http executor makes to the sink (JSON POST with an Idempotency-Key), nothing else. */
export async function post(url: string, key: string, body: unknown): Promise<number> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'idempotency-key': key }, body: JSON.stringify(body) });
  await res.arrayBuffer();
  if (res.status >= 500) throw new Error(`HTTP ${res.status}`);
  return res.status;
}
