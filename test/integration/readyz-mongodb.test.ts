import net from 'node:net';
import request from 'supertest';
import { buildTestApp } from '../helpers/app';
import { signedInAgent } from '../helpers/agents';
import { binaryParser } from '../helpers/binary';
import { storedFile } from '../helpers/stores';
import { eventually } from '../helpers/upload-checks';

/** A 127.0.0.1 port with nothing listening: a real, unreachable MongoDB address (no mock involved). */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('MONGODB_URI configured but MongoDB unreachable', () => {
  it('starts anyway, retries in the background, reports mongodb in /readyz, serves downloads, and closes promptly', async () => {
    const uri = `mongodb://127.0.0.1:${await closedPort()}/depot?serverSelectionTimeoutMS=300`;
    const t = await buildTestApp({ env: { MONGODB_URI: uri } });
    let closed = false;
    try {
      const ready = await request(t.server).get('/readyz').expect(503);
      expect(ready.body).toMatchObject({
        status: 'unavailable',
        checks: { database: 'ok', mongodb: 'unavailable' },
        failing: ['mongodb'],
        // Which expiry mode applies is known only once a server has answered the TTL index.
        details: { mongodb: { activityExpiry: 'not known until connected' } },
      });
      const user = await signedInAgent(t);
      const file = await storedFile(t, user.user, { visibility: 'public' });
      const started = Date.now();
      await user.agent
        .get(`/files/${file.id}/download`)
        .buffer(true)
        .parse(binaryParser)
        .expect(200);
      // The activity write waits for MongoDB in the background; the download did not.
      expect(Date.now() - started).toBeLessThan(2000);
      // The first attempt fails after serverSelectionTimeoutMS; on a busy machine that can be after the download.
      const retryWarnings = () =>
        t.logs.filter((line) => line.msg === 'mongodb unavailable, retrying');
      await eventually(() => retryWarnings().length >= 1);
      const warnings = retryWarnings();
      expect(warnings.length).toBeGreaterThanOrEqual(1);
      expect(JSON.stringify(warnings)).not.toContain(uri);
      const closing = Date.now();
      await t.close();
      closed = true;
      // Shutdown waits for the buffered activity write to give up (5 s at most), never for the retry loop.
      expect(Date.now() - closing).toBeLessThan(8000);
      expect(t.logs).toContainEqual(expect.objectContaining({ msg: 'activity not recorded' }));
    } finally {
      if (!closed) await t.close();
    }
  });
});
