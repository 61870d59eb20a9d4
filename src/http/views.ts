import nunjucks from 'nunjucks';
import type { AssetStore } from './assets';
import { relativeTime } from '../lib/relative-time';
import { formatSize } from '../lib/units';

/** The Nunjucks environment: autoescaping always on, templates cached unless developing. */
export function createViews(
  viewsDir: string,
  options: { cache: boolean; assets: AssetStore },
): nunjucks.Environment {
  const loader = new nunjucks.FileSystemLoader(viewsDir, { noCache: !options.cache, watch: false });
  const env = new nunjucks.Environment(loader, { autoescape: true, throwOnUndefined: false });
  env.addGlobal('asset', (name: string) => options.assets.url(name));
  env.addFilter('filesize', (bytes: number) => formatSize(Number(bytes) || 0));
  env.addFilter('reltime', (date: Date | string) => relativeTime(new Date(date)));
  env.addFilter('isodate', (date: Date | string) => new Date(date).toISOString());
  env.addFilter('datetime', (date: Date | string) =>
    new Date(date)
      .toISOString()
      .replace('T', ' ')
      .replace(/\.\d+Z$/, ' UTC'),
  );
  return env;
}
