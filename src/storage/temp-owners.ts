import { createHash, randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';

/**
 * Who writes a temp file under UPLOAD_DIR/.tmp, and whether that writer is gone. Several Depot processes
 * (on one host or several) may share UPLOAD_DIR, so a temp file's name carries its writer: where its pid
 * means something, the pid, and a random part chosen at start (a restarted process that gets the same pid
 * is another owner). Each live process also touches a heartbeat file of its own (see TempJanitor).
 */

/** `<space>.<pid>.<nonce>`; the space keeps only [A-Za-z0-9-] so the name splits on dots. */
export interface OwnerTag {
  /** The host name plus a digest of the kernel boot and pid namespace: where `pid` can be checked. */
  host: string;
  pid: number;
  tag: string;
}

function readOrEmpty(read: () => string): string {
  try {
    return read().trim();
  } catch {
    return '';
  }
}

/**
 * Two processes can judge each other's pids only in the same pid namespace of the same boot: same host name
 * is not enough (containers, machines named alike on shared storage). Where /proc cannot tell, the host name
 * alone (every other case falls back to heartbeats).
 */
function processSpace(): string {
  const host =
    os
      .hostname()
      .replace(/[^A-Za-z0-9-]/g, '-')
      .slice(0, 48) || 'host';
  const boot = readOrEmpty(() => fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8'));
  const pidNamespace = readOrEmpty(() => fs.readlinkSync('/proc/self/ns/pid'));
  if (!boot || !pidNamespace) return host;
  const digest = createHash('sha256').update(`${boot}\n${pidNamespace}`).digest('hex');
  return `${host}-${digest.slice(0, 12)}`;
}

const SPACE = processSpace();

/** This process's tag: one per process, because the liveness test below is per process. */
export const PROCESS_OWNER: OwnerTag = (() => {
  const tag = `${SPACE}.${process.pid}.${randomBytes(4).toString('hex')}`;
  return { host: SPACE, pid: process.pid, tag };
})();

const TEMP_NAME = /^([A-Za-z0-9-]{1,64})\.(\d{1,10})\.([0-9a-f]{8})\.[0-9a-f-]{36}\.part$/;
const HEARTBEAT_NAME = /^([A-Za-z0-9-]{1,64})\.(\d{1,10})\.([0-9a-f]{8})\.alive$/;

/**
 * Temp files this process has open or staged right now, by path. Process-wide on purpose: two storages of one
 * process over the same directory must not take each other's files for leftovers.
 */
const LIVE_HERE = new Set<string>();

/** A fresh temp file name owned by this process. */
export function newTempName(): string {
  return `${PROCESS_OWNER.tag}.${randomUUID()}.part`;
}

/** The name of this process's heartbeat file. */
export function heartbeatName(): string {
  return `${PROCESS_OWNER.tag}.alive`;
}

/** Marks `file` as being written or staged by this process (the sweep leaves it alone). */
export function claimTemp(file: string): void {
  LIVE_HERE.add(file);
}

/** The file was committed or removed: this process no longer vouches for it. */
export function releaseTemp(file: string): void {
  LIVE_HERE.delete(file);
}

/** Whether this process is writing or holding `file`. */
export function isLiveHere(file: string): boolean {
  return LIVE_HERE.has(file);
}

function toOwner(match: RegExpExecArray | null): OwnerTag | null {
  if (!match) return null;
  return { host: match[1], pid: Number(match[2]), tag: `${match[1]}.${match[2]}.${match[3]}` };
}

/** The owner named by a temp file's name, or null for a name of another format (older versions). */
export function ownerOfTemp(name: string): OwnerTag | null {
  return toOwner(TEMP_NAME.exec(name));
}

/** The owner of a heartbeat file, or null when `name` is not one. */
export function ownerOfHeartbeat(name: string): OwnerTag | null {
  return toOwner(HEARTBEAT_NAME.exec(name));
}

/**
 * 'self' for this process, 'dead' when the owner provably is gone (same pid space, and its pid is not running
 * or is now ours), 'unknown' otherwise (another host or container, or a running pid that may be another
 * Depot): then only its heartbeat can tell.
 */
export function ownerState(owner: OwnerTag): 'self' | 'dead' | 'unknown' {
  if (owner.tag === PROCESS_OWNER.tag) return 'self';
  if (owner.host !== PROCESS_OWNER.host) return 'unknown';
  if (owner.pid === process.pid) return 'dead';
  try {
    process.kill(owner.pid, 0);
    return 'unknown';
  } catch (err) {
    // EPERM: the pid runs under another user, so it is alive.
    return (err as NodeJS.ErrnoException).code === 'ESRCH' ? 'dead' : 'unknown';
  }
}
