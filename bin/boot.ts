/** Shared start-up steps of bin/ scripts: read .env and the environment once, fail with one clear line. */
import fs from 'node:fs';
import path from 'node:path';
import dotenv from 'dotenv';
import { ConfigError, fallbackSecretsDir, loadConfig, type Config } from '../src/config';
import type { Logger } from '../src/logger';
import { loadOrCreateSecrets, type GeneratedSecrets } from '../src/secrets';

/** The configuration, and the generated secrets it uses when APP_KEYS / JWT_SECRET were unset. */
export interface StartupConfig {
  config: Config;
  generated: (GeneratedSecrets & { variables: string[] }) | null;
}

/**
 * Reads .env and the environment, generates (or reuses) DATA_DIR/secrets.json for the secrets left
 * unset outside production, and validates everything; a bad setting ends the process with one line.
 */
export function readStartupConfigOrExit(): StartupConfig {
  const envFile = path.resolve(process.cwd(), '.env');
  if (fs.existsSync(envFile)) dotenv.config({ path: envFile, quiet: true });
  try {
    const dir = fallbackSecretsDir(process.env);
    const secrets = dir === null ? null : loadOrCreateSecrets(dir);
    const config = loadConfig(process.env, secrets ?? undefined);
    const variables = ['APP_KEYS', 'JWT_SECRET'].filter((name) => !process.env[name]);
    return { config, generated: secrets && { ...secrets, variables } };
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
}

/** The configuration alone (scripts that do not log where the secrets came from). */
export function readConfigOrExit(): Config {
  return readStartupConfigOrExit().config;
}

/** Says once, at info, that secrets were generated (or reused) and where; never their values. */
export function logGeneratedSecrets(logger: Logger, startup: StartupConfig): void {
  const { generated, config } = startup;
  if (!generated) return;
  const names = generated.variables;
  logger.info(
    { file: generated.file, variables: names, env: config.env },
    generated.created
      ? `generated ${names.join(' and ')} for this ${config.env} setup into ${generated.file}; production must set its own`
      : `using ${names.join(' and ')} generated earlier, from ${generated.file}`,
  );
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
