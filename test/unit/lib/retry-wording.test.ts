import { tryAgainIn } from '../../../src/lib/retry-wording';

describe('tryAgainIn', () => {
  it.each([
    [1, 'Try again in 1 second.'],
    [0, 'Try again in 1 second.'],
    [-5, 'Try again in 1 second.'],
    [0.2, 'Try again in 1 second.'],
    [45, 'Try again in 45 seconds.'],
    [59, 'Try again in 59 seconds.'],
    [60, 'Try again in 1 minute.'],
    [61, 'Try again in 2 minutes.'],
    [720, 'Try again in 12 minutes.'],
    [899, 'Try again in 15 minutes.'],
    [900, 'Try again in 15 minutes.'],
    [3599, 'Try again in 1 hour.'],
    [3600, 'Try again in 1 hour.'],
    [5400, 'Try again in 1 hour and 30 minutes.'],
    [7260, 'Try again in 2 hours and 1 minute.'],
  ])('says %s s as %j (rounded up, never too early)', (seconds, text) => {
    expect(tryAgainIn(seconds)).toBe(text);
  });
});
