import { createConcurrencyGate, GateBusy } from '../../../src/lib/concurrency-gate';

/** A task that finishes when `finish()` is called. */
function pending() {
  let finish!: () => void;
  const done = new Promise<void>((resolve) => (finish = resolve));
  return { task: () => done, finish };
}

describe('createConcurrencyGate', () => {
  it('runs at most `limit` tasks at once and hands a freed slot to the next waiter', async () => {
    const gate = createConcurrencyGate({ limit: 2, queueLimit: 4, waitMs: 10_000 });
    const tasks = [pending(), pending(), pending()];
    const runs = tasks.map(({ task }) => gate.run(task));
    await Promise.resolve();
    expect(gate.load()).toEqual({ running: 2, waiting: 1 });
    tasks[0].finish();
    await runs[0];
    expect(gate.load()).toEqual({ running: 2, waiting: 0 });
    tasks[1].finish();
    tasks[2].finish();
    await Promise.all(runs);
    expect(gate.load()).toEqual({ running: 0, waiting: 0 });
  });

  it('refuses at once when the queue is full, without running the task', async () => {
    const gate = createConcurrencyGate({ limit: 1, queueLimit: 1, waitMs: 10_000 });
    const first = pending();
    const second = pending();
    const running = gate.run(first.task);
    const waiting = gate.run(second.task);
    const ran = jest.fn(async () => undefined);
    await expect(gate.run(ran)).rejects.toBeInstanceOf(GateBusy);
    expect(ran).not.toHaveBeenCalled();
    first.finish();
    second.finish();
    await Promise.all([running, waiting]);
  });

  it('refuses a task that waited past waitMs and keeps its slot for the others', async () => {
    const gate = createConcurrencyGate({ limit: 1, queueLimit: 4, waitMs: 20 });
    const first = pending();
    const running = gate.run(first.task);
    await expect(gate.run(async () => 'late')).rejects.toBeInstanceOf(GateBusy);
    expect(gate.load()).toEqual({ running: 1, waiting: 0 });
    first.finish();
    await running;
    await expect(gate.run(async () => 'next')).resolves.toBe('next');
  });

  it('frees the slot when a task fails', async () => {
    const gate = createConcurrencyGate({ limit: 1, queueLimit: 0, waitMs: 10 });
    await expect(gate.run(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(gate.run(async () => 1)).resolves.toBe(1);
  });
});
