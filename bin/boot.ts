/** Shared start-up steps of bin/ scripts: read .env and the environment once, fail with one clear line. */
import fs from 'node:fs';
import path from 'node:path';
import dotenv from 'dotenv';
import { ConfigError, loadConfig, type Config } from '../src/config';

export function readConfigOrExit(): Config {
  const envFile = path.resolve(process.cwd(), '.env');
  if (fs.existsSync(envFile)) dotenv.config({ path: envFile, quiet: true });
  try {
    return loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
}

/** Retries `attempt` with capped exponential backoff until it succeeds or `deadlineMs` passes. */
export async function withRetry<T>(
  name: string,
  attempt: () => Promise<T>,
  onRetry: (name: string, error: Error, delayMs: number) => void,
  deadlineMs = 120_000,
): Promise<T> {
  const started = Date.now();
  for (let delay = 250; ; delay = Math.min(delay * 2, 10_000)) {
    try {
      return await attempt();
    } catch (err) {
      if (Date.now() - started + delay > deadlineMs) throw err;
      onRetry(name, err as Error, delay);
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}
