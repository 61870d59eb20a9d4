import { Worker } from 'node:worker_threads';
import { HASH_WORKER_SOURCE, type HashReply, type HashRequest } from './hash-worker';

/** Data is copied into batches of this size and handed to the hashing thread (one message per batch). */
const BATCH_BYTES = 1024 * 1024;
/** The hashing thread's young generation (V8's default for a thread is several times this). */
const WORKER_YOUNG_GENERATION_MB = 2;
/** Batches a job may have in flight before the writer waits: bounds memory when the hashing thread lags (3 measured
 * faster than 8 in bench/upload-form.ts: less memory churn). */
const MAX_IN_FLIGHT = 3;

/** One SHA-256 computed on the hashing thread while the caller keeps streaming. */
export interface HashJob {
  /** Queues `chunk`; `ready` runs once the caller may send more (at once unless too much is in flight). */
  update(chunk: Buffer, ready: () => void): void;
  digest(): Promise<string>;
  abort(): void;
}

interface JobState {
  inFlight: number;
  waiting: (() => void) | null;
  settle: ((result: { hex: string } | { error: Error }) => void) | null;
  failed: Error | null;
}

/**
 * SHA-256 on a worker thread shared by all form uploads, so hashing runs on another core than the multipart
 * parsing: measured in bench/upload-form.ts, hashing on the event loop cost a third of form-upload throughput.
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
    const state: JobState = { inFlight: 0, waiting: null, settle: null, failed: null };
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
        if (state.failed || state.inFlight < MAX_IN_FLIGHT) ready();
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

  private post(message: HashRequest, transfer: ArrayBuffer[] = []): void {
    this.ensureWorker().postMessage(message, transfer);
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    // A small young generation: the thread allocates little that lives, and a large one only adds to the RSS.
    const worker = new Worker(HASH_WORKER_SOURCE, {
      eval: true,
      resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB },
    });
    worker.on('message', (reply: HashReply) => this.onReply(reply));
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

  private onReply(reply: HashReply): void {
    const state = this.jobs.get(reply.id);
    if (!state) return;
    if (reply.type === 'ack') {
      if (this.spare.length < MAX_IN_FLIGHT) this.spare.push(Buffer.from(reply.buffer));
      state.inFlight -= 1;
      const waiting = state.waiting;
      if (waiting && state.inFlight < MAX_IN_FLIGHT) {
        state.waiting = null;
        waiting();
      }
      return;
    }
    this.jobs.delete(reply.id);
    state.settle?.({ hex: reply.hex });
  }
}
