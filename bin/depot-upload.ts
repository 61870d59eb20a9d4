/**
 * Uploads one file to Depot resumably over tus 1.0.0, from a terminal:
 *
 *   npx tsx bin/depot-upload.ts <file> --url http://localhost:3000 --token $TOKEN [--chunk-size 64MiB]
 *
 * The upload URL is remembered in ~/.depot-uploads.json (or --state <file>) under the file's fingerprint
 * (path, size, modification time, server), so running the same command again after an interruption
 * continues where it stopped. The token comes from POST /api/auth/token (or DEPOT_TOKEN).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Upload } from 'tus-js-client';
import { formatSize, parseSize } from '../src/lib/units';

type StoredUploads = Record<string, { fingerprint: string; upload: PreviousUpload }>;

interface PreviousUpload {
  size: number | null;
  metadata: Record<string, string>;
  creationTime: string;
  urlStorageKey: string;
  uploadUrl: string | null;
  parallelUploadUrls: string[] | null;
}

/** tus-js-client's UrlStorage over one small JSON file: { key: { fingerprint, upload } }. */
class JsonUrlStorage {
  constructor(private readonly file: string) {}

  private read(): StoredUploads {
    try {
      // Written by write() below; a file that is not JSON counts as no remembered uploads.
      return JSON.parse(fs.readFileSync(this.file, 'utf8')) as StoredUploads;
    } catch {
      return {};
    }
  }

  private write(entries: StoredUploads): void {
    fs.writeFileSync(this.file, `${JSON.stringify(entries, null, 2)}\n`, { mode: 0o600 });
  }

  async findAllUploads(): Promise<PreviousUpload[]> {
    return Object.entries(this.read()).map(([key, e]) => ({ ...e.upload, urlStorageKey: key }));
  }

  async findUploadsByFingerprint(fingerprint: string): Promise<PreviousUpload[]> {
    return Object.entries(this.read())
      .filter(([, e]) => e.fingerprint === fingerprint)
      .map(([key, e]) => ({ ...e.upload, urlStorageKey: key }));
  }

  async removeUpload(key: string): Promise<void> {
    const entries = this.read();
    delete entries[key];
    this.write(entries);
  }

  async addUpload(fingerprint: string, upload: PreviousUpload): Promise<string> {
    const entries = this.read();
    const key = `depot::${fingerprint}::${Date.now()}`;
    entries[key] = { fingerprint, upload };
    this.write(entries);
    return key;
  }
}

function option(args: string[], name: string): string | undefined {
  const at = args.indexOf(`--${name}`);
  return at >= 0 ? args[at + 1] : undefined;
}

function usage(message: string): never {
  process.stderr.write(
    `${message}\nusage: npx tsx bin/depot-upload.ts <file> --url http://localhost:3000 --token <token> [--chunk-size 64MiB] [--state file]\n`,
  );
  process.exit(2);
}

function main(): void {
  const args = process.argv.slice(2);
  const file = args.find((arg, i) => !arg.startsWith('--') && !args[i - 1]?.startsWith('--'));
  const base = (option(args, 'url') ?? process.env.DEPOT_URL ?? 'http://localhost:3000').replace(
    /\/+$/,
    '',
  );
  const token = option(args, 'token') ?? process.env.DEPOT_TOKEN;
  const chunkSize = parseSize(option(args, 'chunk-size') ?? '64MiB');
  const state = option(args, 'state') ?? path.join(os.homedir(), '.depot-uploads.json');
  if (!file) usage('Which file?');
  if (!token) usage('Pass --token (from POST /api/auth/token) or set DEPOT_TOKEN.');
  if (!chunkSize) usage('--chunk-size must be a size such as 64MiB.');
  const absolute = path.resolve(file);
  const stats = fs.statSync(absolute, { throwIfNoEntry: false });
  if (!stats?.isFile()) usage(`${file} is not a file.`);

  const endpoint = `${base}/api/uploads/`;
  const started = Date.now();
  let startOffset = -1;
  const upload = new Upload(fs.createReadStream(absolute), {
    endpoint,
    chunkSize,
    retryDelays: [0, 1000, 3000, 5000, 10000, 30000],
    headers: { Authorization: `Bearer ${token}` },
    metadata: { filename: path.basename(absolute), filetype: 'application/octet-stream' },
    urlStorage: new JsonUrlStorage(state),
    fingerprint: async () => [absolute, stats.size, stats.mtimeMs, endpoint].join('|'),
    removeFingerprintOnSuccess: true,
    onProgress(sent, total) {
      if (startOffset < 0) startOffset = sent;
      const seconds = (Date.now() - started) / 1000;
      const rate = seconds > 0 ? (sent - startOffset) / seconds : 0;
      const percent = total ? ((sent / total) * 100).toFixed(1) : '100';
      process.stderr.write(
        `\r${percent}%  ${formatSize(sent)} of ${formatSize(total)}  ${formatSize(rate)}/s   `,
      );
    },
    onError(error) {
      process.stderr.write(
        `\nupload failed: ${error.message}\nRun the same command again to resume.\n`,
      );
      process.exit(1);
    },
    onSuccess() {
      const id = (upload.url ?? '').split('/').pop();
      process.stderr.write('\n');
      process.stdout.write(`${base}/files/${id}\n`);
    },
  });
  process.once('SIGINT', () => {
    void upload.abort().then(() => {
      process.stderr.write('\nInterrupted. Run the same command again to resume.\n');
      process.exit(130);
    });
  });
  // It only reads the state file, which read() never lets fail; a rejection would still crash loudly.
  void upload.findPreviousUploads().then((previous) => {
    if (previous.length) {
      process.stderr.write(`resuming ${previous[0].uploadUrl}\n`);
      upload.resumeFromPreviousUpload(previous[0]);
    }
    upload.start();
  });
}

main();
