import fs from 'node:fs';
import path from 'node:path';
import { buildSync } from 'esbuild';

/** The repository root (bench/lib/..). */
const REPO_ROOT = path.resolve(__dirname, '..', '..');

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

/**
 * The node flags `npm start` gives Depot (package.json), for a benchmark's Depot process to run as it does
 * in production; reference servers run with node's defaults.
 */
function depotNodeFlags(): string[] {
  const manifest = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8'));
  return (manifest.scripts.start as string).split(/\s+/).filter((word) => word.startsWith('--'));
}

/**
 * The node flags of a bench server process: BENCH_NODE_ARGS for every server (e.g.
 * BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" to profile them), then `depotNodeFlags()` for Depot
 * (by default a mode named depot...), nothing more for the references.
 */
export function nodeFlagsFor(mode: string, isDepot = mode.startsWith('depot')): string[] {
  const extra = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
  return [...extra, ...(isDepot ? depotNodeFlags() : [])];
}
