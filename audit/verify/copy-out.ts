import type { PoolClient } from 'pg';

/** Receives the COPY payload as it arrives: bytes [start, end) of `buf`, valid only during the call. */
export type PayloadSink = (buf: Buffer, start: number, end: number) => void;

const COPY_DATA = 0x64; // 'd'
const COPY_OUT_RESPONSE = 0x48; // 'H'
const COPY_DONE = 0x63; // 'c'

const isCopyMessage = (type: number) => type === COPY_DATA || type === COPY_OUT_RESPONSE || type === COPY_DONE;

type Listener = (chunk: Buffer) => void;
interface Connection {
  stream: NodeJS.ReadableStream & { listeners(event: 'data'): Listener[] };
  query(text: string): void;
}

/**
 * `COPY (...) TO STDOUT` on a node-postgres client, handing the raw payload to `sink` without a JS object
 * per row. node-postgres parses every protocol message into an object, and a binary COPY sends one message
 * per row, which costs this process more than hashing the row. So, as pg-copy-streams does, the query takes
 * the socket's data while the COPY streams, reads the CopyData frames in place, and gives the socket back to
 * node-postgres at the first message that is not part of the copy (CommandComplete, or an error or notice),
 * so the client finishes the query, and reports errors, as for any other. Should node-postgres meanwhile get
 * CopyData itself (after a notice handed it the socket early), it delivers it here too, in order.
 * Implemented as a pg "submittable", so no connection is opened beside the pool's.
 */
export function copyOut(client: PoolClient, text: string, sink: PayloadSink): Promise<void> {
  return new Promise((resolve, reject) => {
    let failure: unknown = null;
    let settled = false;
    const settle = () => {
      if (settled) return;
      settled = true;
      if (failure) reject(failure);
      else resolve();
    };
    const deliver = (buf: Buffer, start: number, end: number) => {
      if (failure) return; // the rest of the stream is drained and ignored; the error is reported at the end
      try {
        sink(buf, start, end);
      } catch (err) {
        failure = err;
      }
    };
    const submittable = {
      submit(connection: Connection) {
        takeSocket(connection, deliver);
        connection.query(text);
      },
      handleCopyData: (msg: { chunk: Buffer }) => deliver(msg.chunk, 0, msg.chunk.length),
      handleCommandComplete: () => {},
      handleRowDescription: () => {},
      handleDataRow: () => {},
      handleEmptyQuery: () => {},
      // A server error is followed by ReadyForQuery, a lost connection by nothing: settle on the error itself.
      handleError: (err: unknown) => {
        failure ??= err;
        settle();
      },
      handleReadyForQuery: settle,
    };
    client.query(submittable as never);
  });
}

/** Reads CopyData frames off the socket until the first other message, then gives the socket back. */
function takeSocket(connection: Connection, deliver: PayloadSink): void {
  const stream = connection.stream;
  const pgListeners = stream.listeners('data');
  if (pgListeners.length !== 1) return; // not the layout this relies on: leave every message to node-postgres
  const [pgListener] = pgListeners;
  // A message split across chunks: its first bytes until the 5-byte header is complete, then a buffer of
  // the message's full size, filled chunk by chunk (one copy of each byte, however large the row).
  let head: Buffer | null = null;
  let partial: Buffer | null = null;
  let filled = 0;
  const giveBack = (rest: Buffer) => {
    stream.removeListener('data', onData);
    stream.on('data', pgListener);
    pgListener(rest);
  };
  const onData = (chunk: Buffer) => {
    let pos = 0;
    if (head) {
      const take = Math.min(5 - head.length, chunk.length);
      head = Buffer.concat([head, chunk.subarray(0, take)]);
      pos = take;
      if (head.length < 5) return;
      if (!isCopyMessage(head[0])) return giveBack(Buffer.concat([head, chunk.subarray(pos)]));
      partial = Buffer.allocUnsafe(1 + head.readInt32BE(1));
      filled = head.copy(partial, 0);
      head = null;
    }
    if (partial) {
      const take = Math.min(partial.length - filled, chunk.length - pos);
      filled += chunk.copy(partial, filled, pos, pos + take);
      pos += take;
      if (filled < partial.length) return;
      const message = partial;
      partial = null;
      if (message[0] === COPY_DATA) deliver(message, 5, message.length);
    }
    while (chunk.length - pos >= 5) {
      const type = chunk[pos];
      if (!isCopyMessage(type)) return giveBack(chunk.subarray(pos));
      const end = pos + 1 + chunk.readInt32BE(pos + 1);
      if (end > chunk.length) {
        partial = Buffer.allocUnsafe(end - pos);
        filled = chunk.copy(partial, 0, pos);
        return;
      }
      if (type === COPY_DATA) deliver(chunk, pos + 5, end);
      pos = end;
    }
    if (pos < chunk.length) head = Buffer.from(chunk.subarray(pos));
  };
  stream.removeListener('data', pgListener);
  stream.on('data', onData);
}
