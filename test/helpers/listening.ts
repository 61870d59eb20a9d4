import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** A real HTTP server on 127.0.0.1 and a free port, for tests that need sockets (aborts, trickles, curl). */
export interface ListeningServer {
  server: http.Server;
  port: number;
  baseUrl: string;
  /** Drops every connection and stops listening. */
  close(): Promise<void>;
}

/** Listens with `handler` (a test app's callback, or any request listener). */
export async function listenOn(handler: http.RequestListener): Promise<ListeningServer> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    server,
    port,
    baseUrl: `http://127.0.0.1:${port}`,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
