import fs from 'node:fs';
import path from 'node:path';
import { buildSync } from 'esbuild';

/** The repository root (bench/lib/..). */
export const REPO_ROOT = path.resolve(__dirname, '..', '..');

/**
 * Bundles a TypeScript entry for plain node, packages left to node_modules, with the settings of
 * `npm run build`: benchmarked servers then run as `npm start` runs Depot, without tsx's loader.
 * The default place, dist/, keeps `path.resolve(__dirname, '..')` in the app pointing at the repository.
 */
export function bundleForNode(
  entry: string,
  outfile = path.join(REPO_ROOT, 'dist', `${path.parse(entry).name}.cjs`),
): string {
  fs.mkdirSync(path.dirname(outfile), { recursive: true });
  buildSync({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    packages: 'external',
    outfile,
    logLevel: 'warning',
  });
  return outfile;
}
