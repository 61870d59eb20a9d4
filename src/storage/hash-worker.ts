import type * as Crypto from 'node:crypto';
import type * as WorkerThreads from 'node:worker_threads';

/** A message to the hashing thread: a batch of bytes for job `id`, its end, or its abort. */
export type HashRequest =
  | { id: number; type: 'data'; buffer: ArrayBuffer; length: number }
  | { id: number; type: 'end' }
  | { id: number; type: 'abort' };

/** The hashing thread's answer: a batch buffer given back for reuse, or a job's digest. */
export type HashReply =
  { id: number; type: 'ack'; buffer: ArrayBuffer } | { id: number; type: 'digest'; hex: string };

/**
 * The hashing thread's program: one SHA-256 per job over the batches it is sent. It runs as the source text of
 * an eval'd worker (`HASH_WORKER_SOURCE`), the one form that loads the same way under ts-jest/tsx and in the
 * esbuild bundle without a second output file, so it may use nothing from outside its own body.
 */
function hashWorkerMain(): void {
  /* eslint-disable @typescript-eslint/no-require-imports -- an eval'd worker is CommonJS with no imports */
  const { parentPort } = require('node:worker_threads') as typeof WorkerThreads;
  const { createHash } = require('node:crypto') as typeof Crypto;
  /* eslint-enable @typescript-eslint/no-require-imports */
  const port = parentPort!;
  const jobs = new Map<number, Crypto.Hash>();
  port.on('message', (message: HashRequest) => {
    const { id } = message;
    if (message.type === 'data') {
      let hash = jobs.get(id);
      if (!hash) jobs.set(id, (hash = createHash('sha256')));
      hash.update(new Uint8Array(message.buffer, 0, message.length));
      // The buffer goes back for reuse: garbage ArrayBuffers pile up in a thread whose heap hardly ever collects.
      const reply: HashReply = { id, type: 'ack', buffer: message.buffer };
      port.postMessage(reply, [message.buffer]);
    } else if (message.type === 'end') {
      const hex = (jobs.get(id) ?? createHash('sha256')).digest('hex');
      jobs.delete(id);
      const reply: HashReply = { id, type: 'digest', hex };
      port.postMessage(reply);
    } else jobs.delete(id);
  });
}

/** The source text the hashing thread evaluates. */
export const HASH_WORKER_SOURCE = `(${hashWorkerMain.toString()})();`;
