import fsp from 'node:fs/promises';
import path from 'node:path';
import {
  heartbeatName,
  isLiveHere,
  ownerOfHeartbeat,
  ownerOfTemp,
  ownerState,
  type OwnerTag,
} from './temp-owners';

/** How often a live process touches its heartbeat file. */
const HEARTBEAT_EVERY_MS = 30_000;
/**
 * A heartbeat older than this means its process is gone (ten missed beats: a busy event loop or a slow disk
 * never gets near it). A temp file of another host's process with no heartbeat is judged by its mtime the same way.
 */
export const OWNER_STALE_MS = 5 * 60_000;
/** Temp files named as before owners were recorded: a live writer of that version wrote them at least this often. */
const UNOWNED_STALE_MS = 60 * 60_000;

/** What one temp sweep removed. */
export interface TempSweepResult {
  files: number;
  bytes: number;
}

/**
 * Keeps this process's heartbeat under `dir` fresh and removes temp files whose writer is gone: its own
 * leftovers at once when the writer provably died on this host (a restart leaves no orphan bytes), another
 * host's once its heartbeat is stale. Never a file this process is writing or holding.
 */
export class TempJanitor {
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly dir: string) {}

  private get heartbeatPath(): string {
    return path.join(this.dir, heartbeatName());
  }

  /** Writes the heartbeat now and then every HEARTBEAT_EVERY_MS (unref'd timer). */
  async startHeartbeat(): Promise<void> {
    await this.beat();
    if (this.timer) return;
    this.timer = setInterval(() => void this.beat().catch(() => undefined), HEARTBEAT_EVERY_MS);
    this.timer.unref();
  }

  /** Stops beating and removes the heartbeat: this process's temp files are fair game from now on. */
  async stopHeartbeat(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await fsp.rm(this.heartbeatPath, { force: true });
  }

  private async beat(): Promise<void> {
    await fsp.mkdir(this.dir, { recursive: true });
    const now = new Date();
    // Recreated if it went missing (removed by hand): writing it again is the cheap way to touch it.
    await fsp
      .utimes(this.heartbeatPath, now, now)
      .catch(() => fsp.writeFile(this.heartbeatPath, ''));
  }

  /** One pass over the temp directory; see the class comment for what goes. */
  async sweep(now = Date.now()): Promise<TempSweepResult> {
    const names = await fsp.readdir(this.dir).catch(() => [] as string[]);
    const beats = await this.heartbeats(names);
    const result: TempSweepResult = { files: 0, bytes: 0 };
    for (const name of names) {
      const file = path.join(this.dir, name);
      const heartbeat = ownerOfHeartbeat(name);
      if (heartbeat) {
        if (!this.alive(heartbeat, beats, now)) await fsp.rm(file, { force: true });
        continue;
      }
      if (isLiveHere(file)) continue;
      const stats = await fsp.stat(file).catch(() => null);
      if (!stats?.isFile() || !this.abandoned(name, stats.mtimeMs, beats, now)) continue;
      await fsp.rm(file, { force: true });
      result.files += 1;
      result.bytes += stats.size;
    }
    return result;
  }

  /** Heartbeat mtimes by owner tag. */
  private async heartbeats(names: string[]): Promise<Map<string, number>> {
    const beats = new Map<string, number>();
    for (const name of names) {
      const owner = ownerOfHeartbeat(name);
      if (!owner) continue;
      const stats = await fsp.stat(path.join(this.dir, name)).catch(() => null);
      if (stats) beats.set(owner.tag, stats.mtimeMs);
    }
    return beats;
  }

  private alive(owner: OwnerTag, beats: Map<string, number>, now: number): boolean {
    const state = ownerState(owner);
    if (state !== 'unknown') return state === 'self';
    const beat = beats.get(owner.tag);
    return beat !== undefined && now - beat < OWNER_STALE_MS;
  }

  private abandoned(
    name: string,
    mtimeMs: number,
    beats: Map<string, number>,
    now: number,
  ): boolean {
    const owner = ownerOfTemp(name);
    if (!owner) return now - mtimeMs > UNOWNED_STALE_MS;
    const state = ownerState(owner);
    // Our own tag but not in the live set: a write that failed without cleaning up.
    if (state !== 'unknown') return true;
    if (beats.has(owner.tag)) return !this.alive(owner, beats, now);
    return now - mtimeMs > OWNER_STALE_MS;
  }
}
