import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import mongoose from 'mongoose';
import { makeTempDir } from './databases';
import { freePort } from './depot-process';
import { controlServer, type PrivateServer } from './private-servers';

/** The FerretDB binary .ci/ferretdb.sh built (it exports TEST_FERRETDB_BIN); null: the tests are skipped. */
export const FERRETDB_BIN = process.env.TEST_FERRETDB_BIN ?? null;

/** True once FerretDB on `port` answers a ping over the wire protocol. */
async function answers(port: number): Promise<boolean> {
  const client = new mongoose.mongo.MongoClient(`mongodb://127.0.0.1:${port}`, {
    serverSelectionTimeoutMS: 1000,
    connectTimeoutMS: 1000,
  });
  try {
    await client.db('admin').command({ ping: 1 });
    return true;
  } catch {
    return false;
  } finally {
    await client.close(true);
  }
}

/** A FerretDB of the test's own (SQLite backend) on a free port, to freeze, kill and start again. */
export async function startPrivateFerretdb(): Promise<PrivateServer> {
  const bin = FERRETDB_BIN;
  if (!bin) throw new Error('TEST_FERRETDB_BIN is not set (run .ci/ferretdb.sh)');
  const port = await freePort();
  const dataDir = makeTempDir('depot-ferretdb-');
  fs.mkdirSync(path.join(dataDir, 'data'));
  const args = [
    '--handler=sqlite',
    `--sqlite-url=file:${path.join(dataDir, 'data')}/`,
    `--state-dir=${dataDir}`,
    `--listen-addr=127.0.0.1:${port}`,
    '--debug-addr=-',
    '--telemetry=disable',
    '--log-level=ERROR',
  ];
  const server = controlServer(
    () => spawn(bin, args, { stdio: 'ignore' }),
    () => answers(port),
    { port, url: `mongodb://127.0.0.1:${port}`, name: 'ferretdb', dataDir },
  );
  await server.ready;
  return server;
}
