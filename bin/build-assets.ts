/**
 * Builds public/build/: every asset under public/{css,js,img} (and the vendored browser libraries) copied
 * with a content hash in its name, precompressed to .br and .gz, and listed in manifest.json.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';

const root = path.resolve(__dirname, '..');
const publicDir = path.join(root, 'public');
const buildDir = path.join(publicDir, 'build');
const SOURCE_DIRS = ['css', 'js', 'img'];
const VENDORED: Record<string, string> = {
  'js/vendor/tus.min.js': 'node_modules/tus-js-client/dist/tus.min.js',
};
const COMPRESSIBLE = /\.(css|js|svg|json|txt|map)$/;

function listFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? listFiles(full) : [full];
  });
}

function fingerprint(name: string, content: Buffer): string {
  const hash = createHash('sha256').update(content).digest('hex').slice(0, 10);
  const ext = path.extname(name);
  return `${name.slice(0, -ext.length)}.${hash}${ext}`;
}

function build(): void {
  fs.rmSync(buildDir, { recursive: true, force: true });
  const sources: Record<string, string> = { ...VENDORED };
  for (const dir of SOURCE_DIRS) {
    for (const file of listFiles(path.join(publicDir, dir))) {
      sources[path.relative(publicDir, file).split(path.sep).join('/')] = path.relative(root, file);
    }
  }
  const manifest: Record<string, string> = {};
  for (const [name, source] of Object.entries(sources)) {
    const content = fs.readFileSync(path.join(root, source));
    const built = fingerprint(name, content);
    const target = path.join(buildDir, built);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, content);
    if (COMPRESSIBLE.test(name)) {
      fs.writeFileSync(`${target}.gz`, zlib.gzipSync(content, { level: 9 }));
      fs.writeFileSync(
        `${target}.br`,
        zlib.brotliCompressSync(content, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11 } }),
      );
    }
    manifest[name] = built;
  }
  fs.writeFileSync(path.join(buildDir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  process.stdout.write(`built ${Object.keys(manifest).length} assets into public/build\n`);
}

build();
