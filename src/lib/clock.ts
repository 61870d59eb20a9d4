/** A clock whose readings strictly increase, so records made in one burst keep their order. */
export type Clock = () => Date;

/** Millisecond time that never repeats or goes back within this process (at most a few ms ahead under bursts). */
export function createMonotonicClock(now: () => number = Date.now): Clock {
  let last = 0;
  return () => {
    last = Math.max(now(), last + 1);
    return new Date(last);
  };
}
