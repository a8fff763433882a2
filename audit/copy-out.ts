import type { PoolClient } from 'pg';

/**
 * `COPY (...) TO STDOUT` on a node-postgres client, delivering the raw CopyData chunks (each normally one
 * row) as Buffers. node-postgres decodes every field of an ordinary result into a JS string; the chain
 * verifier hashes bytes, so it reads rows this way and never builds strings or objects for them.
 * Implemented as a pg "submittable" (the hook pg-copy-streams uses), so no extra dependency is needed.
 */
export function copyOut(client: PoolClient, text: string, onChunk: (chunk: Buffer) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    let failure: unknown = null;
    const submittable = {
      submit: (connection: { query(text: string): void }) => connection.query(text),
      handleCopyData: (msg: { chunk: Buffer }) => {
        if (failure) return;
        try {
          onChunk(msg.chunk);
        } catch (err) {
          failure = err; // the rest of the stream is drained and ignored; the error is reported at the end
        }
      },
      handleCommandComplete: () => {},
      handleRowDescription: () => {},
      handleDataRow: () => {},
      handleEmptyQuery: () => {},
      handleError: (err: unknown) => {
        failure ??= err;
      },
      handleReadyForQuery: () => (failure ? reject(failure) : resolve()),
    };
    client.query(submittable as never);
  });
}
