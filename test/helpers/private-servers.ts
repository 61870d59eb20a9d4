import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import mysql from 'mysql2/promise';
import { makeTempDir } from './databases';
import { freePort, waitUntil } from './depot-process';

/** A server process of the test's own, to freeze (SIGSTOP), thaw, kill and start again. */
export interface PrivateServer {
  port: number;
  url: string;
  /** SIGSTOP: the process keeps its sockets open and answers nothing, like a hung host. */
  freeze(): void;
  thaw(): void;
  /** SIGKILL and wait for the exit: the port refuses connections. */
  kill(): Promise<void>;
  /** Starts the server again on the same port (same data) and waits until it answers. */
  restart(): Promise<void>;
  /** Kills it and removes its data; safe to call in afterAll whatever state it is in. */
  stop(): Promise<void>;
}

function redisAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.setTimeout(1000, () => socket.destroy());
    socket.on('error', () => resolve(false));
    socket.on('close', () => resolve(false));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (data) => {
      resolve(data.toString().startsWith('+PONG'));
      socket.destroy();
    });
  });
}

async function mariadbAnswers(port: number): Promise<boolean> {
  const connection = await mysql.createConnection({
    host: '127.0.0.1',
    port,
    user: 'root',
    connectTimeout: 1000,
  });
  await connection.query(
    'CREATE DATABASE IF NOT EXISTS depot CHARACTER SET utf8mb4 COLLATE utf8mb4_bin',
  );
  await connection.end();
  return true;
}

/** Wraps a spawned process with the PrivateServer controls (`ready` settles once it first answers). */
export function controlServer(
  start: () => ChildProcess,
  answers: () => Promise<boolean>,
  fields: { port: number; url: string; name: string; dataDir: string },
): PrivateServer & { ready: Promise<void> } {
  // A server still starting refuses connections or fails the handshake: that is "not yet", not an error.
  const answering = () => answers().catch(() => false);
  let child = start();
  const signal = (name: NodeJS.Signals) => {
    if (child.exitCode === null && child.pid) process.kill(child.pid, name);
  };
  const kill = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    signal('SIGKILL');
    await exited;
  };
  return {
    port: fields.port,
    url: fields.url,
    ready: waitUntil(answering, fields.name),
    freeze: () => signal('SIGSTOP'),
    thaw: () => signal('SIGCONT'),
    kill,
    async restart() {
      await kill();
      child = start();
      await waitUntil(answering, fields.name);
    },
    async stop() {
      await kill();
      fs.rmSync(fields.dataDir, { recursive: true, force: true });
    },
  };
}

/** `redis-server` on a free port, nothing saved to disk. */
export async function startPrivateRedis(): Promise<PrivateServer> {
  const port = await freePort();
  const dataDir = makeTempDir('depot-redis-');
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
  const server = controlServer(
    () => spawn('redis-server', [...args, '--dir', dataDir], { stdio: 'ignore' }),
    () => redisAnswers(port),
    { port, url: `redis://127.0.0.1:${port}`, name: 'redis-server', dataDir },
  );
  await server.ready;
  return server;
}

/** A fresh MariaDB (mariadb-install-db, then mariadbd without grant tables) with an empty `depot` database. */
export async function startPrivateMariadb(): Promise<PrivateServer> {
  const port = await freePort();
  const dataDir = makeTempDir('depot-mariadb-');
  const datadir = path.join(dataDir, 'data');
  const install = spawnSync(
    'mariadb-install-db',
    ['--no-defaults', `--datadir=${datadir}`, '--user=root', '--skip-test-db'],
    { encoding: 'utf8' },
  );
  if (install.status !== 0) throw new Error(`mariadb-install-db failed: ${install.stderr}`);
  const args = [
    '--no-defaults',
    `--datadir=${datadir}`,
    `--socket=${path.join(dataDir, 'mariadb.sock')}`,
    `--pid-file=${path.join(dataDir, 'mariadb.pid')}`,
    `--port=${port}`,
    '--bind-address=127.0.0.1',
    '--user=root',
    '--skip-grant-tables',
    '--skip-log-bin',
    '--innodb-buffer-pool-size=16M',
  ];
  const server = controlServer(
    () => spawn('mariadbd', args, { stdio: 'ignore' }),
    () => mariadbAnswers(port),
    { port, url: `mysql://root@127.0.0.1:${port}/depot`, name: 'mariadbd', dataDir },
  );
  await server.ready;
  return server;
}
