import { spawnSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { OWNER_STALE_MS, TempJanitor } from '../../../src/storage/temp-janitor';
import {
  PROCESS_OWNER,
  claimTemp,
  heartbeatName,
  newTempName,
  ownerOfTemp,
  ownerState,
  releaseTemp,
} from '../../../src/storage/temp-owners';

const HOUR_MS = 3_600_000;
const nonce = () => randomBytes(4).toString('hex');
const deadPid = () => spawnSync(process.execPath, ['-e', '']).pid as number;

describe('temp file owners', () => {
  it('names temp files after this process and reads the owner back', () => {
    const name = newTempName();
    expect(name.startsWith(`${PROCESS_OWNER.tag}.`)).toBe(true);
    expect(ownerOfTemp(name)).toEqual(PROCESS_OWNER);
    expect(ownerOfTemp(`${randomUUID()}.part`)).toBeNull();
    expect(ownerOfTemp('../../etc/passwd')).toBeNull();
  });

  it('tells a dead owner on this host from one that may be alive', () => {
    const host = PROCESS_OWNER.host;
    expect(ownerState(PROCESS_OWNER)).toBe('self');
    expect(ownerState({ host, pid: deadPid(), tag: `${host}.1.${nonce()}` })).toBe('dead');
    // Our pid under another nonce: an earlier process that had the same pid (a restarted container).
    expect(ownerState({ host, pid: process.pid, tag: `${host}.${process.pid}.${nonce()}` })).toBe(
      'dead',
    );
    // pid 1 always runs (and belongs to another user when we are not root: EPERM still means alive).
    expect(ownerState({ host, pid: 1, tag: `${host}.1.${nonce()}` })).toBe('unknown');
    expect(ownerState({ host: 'elsewhere', pid: 1, tag: `elsewhere.1.${nonce()}` })).toBe(
      'unknown',
    );
  });

  it('never judges a pid of another pid namespace or boot, even under the same host name', () => {
    const hostOnly = os
      .hostname()
      .replace(/[^A-Za-z0-9-]/g, '-')
      .slice(0, 48);
    expect(PROCESS_OWNER.host.startsWith(`${hostOnly}-`)).toBe(true);
    const pid = deadPid();
    expect(ownerState({ host: hostOnly, pid, tag: `${hostOnly}.${pid}.${nonce()}` })).toBe(
      'unknown',
    );
  });
});

describe('TempJanitor', () => {
  let dir: string;
  let janitor: TempJanitor;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'depot-temp-'));
    janitor = new TempJanitor(dir);
  });
  afterEach(async () => {
    await janitor.stopHeartbeat();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  function file(name: string, ageMs = 0, bytes = 10): string {
    const full = path.join(dir, name);
    fs.writeFileSync(full, Buffer.alloc(bytes));
    const when = new Date(Date.now() - ageMs);
    fs.utimesSync(full, when, when);
    return full;
  }
  const part = (tag: string, ageMs = 0, bytes = 10) =>
    file(`${tag}.${randomUUID()}.part`, ageMs, bytes);
  const left = () => fs.readdirSync(dir).sort();

  it('keeps what this process holds and removes what it let go of', async () => {
    const held = part(PROCESS_OWNER.tag, HOUR_MS);
    claimTemp(held);
    const leaked = part(PROCESS_OWNER.tag, 0, 100);
    expect(await janitor.sweep()).toEqual({ files: 1, bytes: 100 });
    expect(left()).toEqual([path.basename(held)]);
    releaseTemp(held);
    expect((await janitor.sweep()).files).toBe(1);
    expect(fs.existsSync(leaked)).toBe(false);
  });

  it("removes a dead local process's files and heartbeat at once, whatever their age", async () => {
    const tag = `${PROCESS_OWNER.host}.${deadPid()}.${nonce()}`;
    part(tag);
    file(`${tag}.alive`);
    await janitor.sweep();
    expect(left()).toEqual([]);
  });

  it("judges another host's files by its heartbeat, or by their age without one", async () => {
    const live = `far-a.7.${nonce()}`;
    const stale = `far-b.7.${nonce()}`;
    file(`${live}.alive`, OWNER_STALE_MS / 2);
    file(`${stale}.alive`, OWNER_STALE_MS * 2);
    const kept = [part(live, HOUR_MS), part(`far-c.7.${nonce()}`, OWNER_STALE_MS / 2)];
    part(stale);
    part(`far-d.7.${nonce()}`, OWNER_STALE_MS * 2);
    await janitor.sweep();
    expect(left()).toEqual([`${live}.alive`, ...kept.map((name) => path.basename(name))].sort());
  });

  it('gives temp files of the older unnamed format an hour', async () => {
    const young = file(`${randomUUID()}.part`, OWNER_STALE_MS * 2);
    file(`${randomUUID()}.part`, 2 * HOUR_MS);
    await janitor.sweep();
    expect(left()).toEqual([path.basename(young)]);
  });

  it('leaves directories alone and copes with a missing temp directory', async () => {
    fs.mkdirSync(path.join(dir, 'sub'));
    expect((await janitor.sweep()).files).toBe(0);
    expect(left()).toEqual(['sub']);
    expect(await new TempJanitor(path.join(dir, 'missing')).sweep()).toEqual({
      files: 0,
      bytes: 0,
    });
  });

  it('writes its heartbeat at start and removes it at stop', async () => {
    await janitor.startHeartbeat();
    expect(left()).toEqual([heartbeatName()]);
    await janitor.sweep();
    expect(left()).toEqual([heartbeatName()]);
    await janitor.stopHeartbeat();
    expect(left()).toEqual([]);
  });
});
