/** Names inside a zip: safe relative paths, unique the way a case-insensitive file system sees them. */
import { MAX_NAME_BYTES, sanitizeFileName, truncateUtf8 } from '../../lib/file-name';

/**
 * Deepest folder nesting kept (the last components win): 64 folders of at most 255 bytes stay far below the
 * 65,535-byte name field of a zip entry, so no name can overflow it, even after a " (n)" suffix.
 */
export const MAX_ZIP_DEPTH = 64;

// A Windows drive as the first component (`C:`): an unzip on Windows would write outside the target folder.
const DRIVE = /^[A-Za-z]:$/;

/**
 * The components of a path made safe to extract: both kinds of slash split, empty, `.` and `..` components
 * and a leading drive dropped (so the path is relative and never climbs), each component cleaned by the
 * rules of display names (controls and bidi removed, NFC, at most 255 bytes), `untitled` when nothing is left.
 */
export function safeZipPath(raw: string): string[] {
  const parts = raw.split(/[/\\]+/).filter((part) => part !== '' && part !== '.' && part !== '..');
  if (parts.length > 0 && DRIVE.test(parts[0])) parts.shift();
  const cleaned = parts.map((part) => sanitizeFileName(part));
  return cleaned.length === 0 ? [sanitizeFileName('')] : cleaned.slice(-(MAX_ZIP_DEPTH + 1));
}

const join = (parent: string, name: string) => (parent === '' ? name : `${parent}/${name}`);
// Case-insensitive like the unzip of a user on macOS or Windows, where `A.txt` overwrites `a.txt`.
const keyOf = (path: string) => path.toLowerCase();

/** `name (n)`, keeping a file's extension last and the whole within the 255-byte name limit. */
function withSuffix(name: string, n: number, isFile: boolean): string {
  const dot = isFile ? name.lastIndexOf('.') : -1;
  const [stem, extension] = dot > 0 ? [name.slice(0, dot), name.slice(dot)] : [name, ''];
  const suffix = ` (${n})${extension}`;
  return `${truncateUtf8(stem, MAX_NAME_BYTES - Buffer.byteLength(suffix)).trimEnd()}${suffix}`;
}

/** The names already given in one archive: files and folders share one case-insensitive space. */
class ZipNameSpace {
  private readonly taken = new Set<string>();
  /** Requested folder path (case-insensitive) -> the folder it became, so siblings land together. */
  private readonly folders = new Map<string, string>();
  /** Next suffix to try per name, so thousands of copies of one name stay linear. */
  private readonly nextSuffix = new Map<string, number>();

  /** The unique archive path of a file whose safe components are `parts`. */
  place(parts: readonly string[]): string {
    let parent = '';
    let requested = '';
    for (const folder of parts.slice(0, -1)) {
      requested = keyOf(join(requested, folder));
      const existing = this.folders.get(requested);
      if (existing !== undefined) {
        parent = existing;
        continue;
      }
      parent = join(parent, this.claim(parent, folder, false));
      this.folders.set(requested, parent);
    }
    return join(parent, this.claim(parent, parts[parts.length - 1], true));
  }

  private claim(parent: string, name: string, isFile: boolean): string {
    const key = keyOf(join(parent, name));
    let candidate = name;
    let n = this.nextSuffix.get(key) ?? 2;
    while (this.taken.has(keyOf(join(parent, candidate))))
      candidate = withSuffix(name, n++, isFile);
    this.nextSuffix.set(key, n);
    this.taken.add(keyOf(join(parent, candidate)));
    return candidate;
  }
}

/**
 * The archive path of each raw path, in order: made safe, then made unique ("a.txt", "a (2).txt"), where a
 * file and a folder of the same name also collide.
 */
export function zipNames(rawPaths: readonly string[]): string[] {
  const space = new ZipNameSpace();
  return rawPaths.map((raw) => space.place(safeZipPath(raw)));
}
