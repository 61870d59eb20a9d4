import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import { buildTestApp, type TestApp, type TestAppOptions } from '../../helpers/app';
import { launchBrowser } from './browser';

export interface RunningServer {
  t: TestApp;
  baseUrl: string;
  stop(): Promise<void>;
}

/** The real app on a random 127.0.0.1 port, over a temp database and upload directory. */
export async function startServer(options: TestAppOptions = {}): Promise<RunningServer> {
  const t = await buildTestApp(options);
  const server = http.createServer(t.app.callback());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    t,
    baseUrl: `http://127.0.0.1:${port}`,
    async stop() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await t.close();
    },
  };
}

/** One server and one Chromium per test file, started in beforeAll and stopped in afterAll. */
export interface E2eEnvironment {
  server: RunningServer;
  browser: Browser;
}

/** Registers the hooks; the returned object's fields are set once beforeAll has run. */
export function useServerAndBrowser(options: TestAppOptions = {}): E2eEnvironment {
  const env = {} as E2eEnvironment;
  beforeAll(async () => {
    env.server = await startServer(options);
    env.browser = await launchBrowser();
  });
  afterAll(async () => {
    await env.browser?.close();
    await env.server?.stop();
  });
  return env;
}
