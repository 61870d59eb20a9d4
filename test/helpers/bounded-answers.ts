import request from 'supertest';

/** An answer and how long it took. */
export interface TimedAnswer {
  res: request.Response;
  ms: number;
}

/**
 * Checks for a server whose dependency is frozen: `timed` sends a request with a client-side timeout past
 * `boundMs` (a hanging server fails the test, not the runner); `expect503` asserts the 503 with
 * Retry-After, its words, and that it came within `boundMs`.
 */
export function boundedAnswers(boundMs: number) {
  return {
    async timed(req: request.Test): Promise<TimedAnswer> {
      const started = Date.now();
      const res = await req.timeout({ response: boundMs + 5_000 });
      return { res, ms: Date.now() - started };
    },
    expect503(reply: TimedAnswer, words: string): void {
      expect(reply.res.status).toBe(503);
      expect(reply.res.headers['retry-after']).toBe('5');
      expect(reply.res.text).toContain(words);
      expect(reply.ms).toBeLessThan(boundMs);
    },
  };
}
