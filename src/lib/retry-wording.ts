/** "Try again in 12 minutes." from a Retry-After in seconds: rounded up, so nobody is told to retry too early. */
export function tryAgainIn(seconds: number): string {
  const wait = Math.max(1, Math.ceil(seconds));
  const plural = (count: number, unit: string) => `${count} ${unit}${count === 1 ? '' : 's'}`;
  if (wait < 60) return `Try again in ${plural(wait, 'second')}.`;
  const minutes = Math.ceil(wait / 60);
  if (minutes < 60) return `Try again in ${plural(minutes, 'minute')}.`;
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  return rest
    ? `Try again in ${plural(hours, 'hour')} and ${plural(rest, 'minute')}.`
    : `Try again in ${plural(hours, 'hour')}.`;
}
