import { Worker } from 'node:worker_threads';

/** Data is copied into batches of this size and handed to the hashing thread (one message per batch). */
const BATCH_BYTES = 1024 * 1024;
/** File bytes a job may have queued for the hashing thread to read before the writer waits. */
const MAX_FILE_LAG_BYTES = 32 * 1024 * 1024;
/** The hashing thread's young generation (V8's default for a thread is several times this). */
const WORKER_YOUNG_GENERATION_MB = 2;
/** Batches a job may have in flight before the writer waits: bounds memory when the hashing thread lags (3 measured
 * faster than 8 in bench/upload-form.ts: less memory churn). */
const MAX_IN_FLIGHT = 3;

// Plain JavaScript, evaluated in the worker: no loader needed under tsx, jest or compiled output.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const fs = require('node:fs');
const jobs = new Map();
const job = (id) => {
  let state = jobs.get(id);
  if (!state) jobs.set(id, (state = { hash: createHash('sha256'), fd: null, error: null }));
  return state;
};
const release = (state) => {
  if (state && state.fd !== null) fs.closeSync(state.fd);
};
let readBuffer = null;
// Reads a range of a file the caller has written (it is in the page cache) and hashes it: no copy of the
// bytes crosses threads. A failed read fails the job; its digest is then an error, never a wrong digest.
const hashRange = (state, message) => {
  if (state.error) return;
  try {
    if (state.fd === null) state.fd = fs.openSync(message.path, 'r');
    readBuffer = readBuffer || Buffer.allocUnsafe(${BATCH_BYTES});
    let position = message.position;
    let left = message.length;
    while (left > 0) {
      const read = fs.readSync(state.fd, readBuffer, 0, Math.min(left, readBuffer.length), position);
      if (read === 0) throw new Error('the file is shorter than the range to hash');
      state.hash.update(readBuffer.subarray(0, read));
      position += read;
      left -= read;
    }
  } catch (err) {
    state.error = String((err && err.message) || err);
  }
};
parentPort.on('message', (message) => {
  const { id, type } = message;
  if (type === 'range') {
    hashRange(job(id), message);
    parentPort.postMessage({ id, type: 'read', length: message.length });
  } else if (type === 'data') {
    const hash = job(id).hash;
    hash.update(new Uint8Array(message.buffer, 0, message.length));
    // The buffer goes back for reuse: garbage ArrayBuffers pile up in a thread whose own heap hardly ever collects.
    parentPort.postMessage({ id, type: 'ack', buffer: message.buffer }, [message.buffer]);
  } else if (type === 'end') {
    const state = job(id);
    jobs.delete(id);
    release(state);
    if (state.error) parentPort.postMessage({ id, type: 'digest', error: state.error });
    else parentPort.postMessage({ id, type: 'digest', hex: state.hash.digest('hex') });
  } else if (type === 'abort') {
    release(jobs.get(id));
    jobs.delete(id);
  }
});
`;

type Reply =
  | { id: number; type: 'ack'; buffer: ArrayBuffer }
  | { id: number; type: 'read'; length: number }
  | { id: number; type: 'digest'; hex: string }
  | { id: number; type: 'digest'; error: string };

/** One SHA-256 computed on the hashing thread while the caller keeps streaming. */
export interface HashJob {
  /** Queues `chunk`; `ready` runs once the caller may send more (at once unless too much is in flight). */
  update(chunk: Buffer, ready: () => void): void;
  /**
   * Queues `length` bytes of the file at `path` from `position` (already written: the hashing thread reads them
   * back from the page cache, so the caller neither copies nor holds them); `ready` as for update.
   */
  updateFromFile(path: string, position: number, length: number, ready: () => void): void;
  digest(): Promise<string>;
  abort(): void;
}

interface JobState {
  inFlight: number;
  /** File bytes queued and not yet read by the hashing thread. */
  lagBytes: number;
  waiting: (() => void) | null;
  settle: ((result: { hex: string } | { error: Error }) => void) | null;
  failed: Error | null;
}

/**
 * SHA-256 on a worker thread shared by all uploads, so hashing runs on another core than the request parsing:
 * measured in bench/upload-form.ts, hashing on the event loop cost a third of form-upload throughput.
 */
export class ParallelSha256 {
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly jobs = new Map<number, JobState>();
  /** Batch buffers back from the hashing thread, reused so memory stays flat however much is uploaded. */
  private readonly spare: Buffer[] = [];

  /** Starts a job. */
  start(): HashJob {
    const id = this.nextId++;
    const state: JobState = { inFlight: 0, lagBytes: 0, waiting: null, settle: null, failed: null };
    this.jobs.set(id, state);
    let batch: Buffer | null = null;
    let used = 0;
    const flush = () => {
      if (!batch || used === 0) return;
      const buffer = batch.buffer as ArrayBuffer;
      state.inFlight += 1;
      this.post({ id, type: 'data', buffer, length: used }, [buffer]);
      batch = null;
      used = 0;
    };
    return {
      update: (chunk, ready) => {
        let offset = 0;
        while (offset < chunk.length) {
          batch ??= this.spare.pop() ?? Buffer.allocUnsafeSlow(BATCH_BYTES);
          const copied = chunk.copy(batch, used, offset);
          used += copied;
          offset += copied;
          if (used === batch.length) flush();
        }
        if (state.inFlight < MAX_IN_FLIGHT) ready();
        else state.waiting = ready;
      },
      updateFromFile: (path, position, length, ready) => {
        flush(); // bytes given to update() come first
        if (length > 0) {
          state.lagBytes += length;
          this.post({ id, type: 'range', path, position, length });
        }
        if (state.failed || isReady(state)) ready();
        else state.waiting = ready;
      },
      digest: async () => {
        if (state.failed) throw state.failed;
        flush();
        const result = await new Promise<{ hex: string } | { error: Error }>((settle) => {
          state.settle = settle;
          this.post({ id, type: 'end' });
        });
        if ('error' in result) throw result.error;
        return result.hex;
      },
      abort: () => {
        this.jobs.delete(id);
        this.post({ id, type: 'abort' });
      },
    };
  }

  /** Stops the hashing thread (shutdown); a later job starts a new one. */
  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = null;
    await worker?.terminate();
  }

  private post(message: object, transfer: ArrayBuffer[] = []): void {
    this.ensureWorker().postMessage(message, transfer);
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    // A small young generation: the thread allocates little that lives, and a large one only adds to the RSS.
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB },
    });
    worker.on('message', (reply: Reply) => this.onReply(reply));
    worker.on('error', (err) => this.failAll(worker, err));
    worker.on('exit', () => this.failAll(worker, new Error('the hashing thread stopped')));
    // An idle hashing thread must never keep a stopping process alive.
    worker.unref();
    this.worker = worker;
    return worker;
  }

  /** A dead hashing thread fails its jobs (never a digest of partial data); the next job starts a new thread. */
  private failAll(worker: Worker, error: Error): void {
    if (this.worker === worker) this.worker = null;
    for (const [id, state] of this.jobs) {
      this.jobs.delete(id);
      state.failed = error;
      state.settle?.({ error });
      const waiting = state.waiting;
      state.waiting = null;
      waiting?.();
    }
  }

  private onReply(reply: Reply): void {
    const state = this.jobs.get(reply.id);
    if (!state) return;
    if (reply.type === 'ack' || reply.type === 'read') {
      if (reply.type === 'ack') {
        if (this.spare.length < MAX_IN_FLIGHT) this.spare.push(Buffer.from(reply.buffer));
        state.inFlight -= 1;
      } else state.lagBytes -= reply.length;
      const waiting = state.waiting;
      if (waiting && isReady(state)) {
        state.waiting = null;
        waiting();
      }
      return;
    }
    this.jobs.delete(reply.id);
    state.settle?.('hex' in reply ? { hex: reply.hex } : { error: new Error(reply.error) });
  }
}

/** Whether a job may take more input: neither too many batches in flight nor too much file left to read. */
function isReady(state: JobState): boolean {
  return state.inFlight < MAX_IN_FLIGHT && state.lagBytes <= MAX_FILE_LAG_BYTES;
}
