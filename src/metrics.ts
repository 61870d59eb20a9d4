import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The Prometheus metrics of one app (own registry, so tests can build many apps). */
export interface Metrics {
  registry: Registry;
  httpRequests: Counter<'method' | 'route' | 'status'>;
  httpDuration: Histogram<'method' | 'route'>;
  bytesUploaded: Counter;
  bytesDownloaded: Counter;
  activeUploads: Gauge;
}

/** Creates the registry and every metric; `withDefaults` adds process metrics (once per process). */
export function createMetrics(options: { withDefaults: boolean }): Metrics {
  const registry = new Registry();
  if (options.withDefaults) collectDefaultMetrics({ register: registry });
  return {
    registry,
    httpRequests: new Counter({
      name: 'depot_http_requests_total',
      help: 'HTTP requests by method, route and status (status "aborted": the client left before the last byte)',
      labelNames: ['method', 'route', 'status'],
      registers: [registry],
    }),
    httpDuration: new Histogram({
      name: 'depot_http_request_duration_seconds',
      help: 'HTTP request duration by method and route',
      labelNames: ['method', 'route'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10, 60],
      registers: [registry],
    }),
    bytesUploaded: new Counter({
      name: 'depot_bytes_uploaded_total',
      help: 'File bytes received (form and resumable uploads)',
      registers: [registry],
    }),
    bytesDownloaded: new Counter({
      name: 'depot_bytes_downloaded_total',
      help: 'File bytes sent by downloads',
      registers: [registry],
    }),
    activeUploads: new Gauge({
      name: 'depot_active_uploads',
      help: 'Uploads currently receiving data',
      registers: [registry],
    }),
  };
}

/** What the upload-directory gauges read at each scrape (see SpaceReport in features/uploads/space.ts). */
export interface UploadDirReport {
  freeBytes: number;
  promisedBytes: number;
  partialUploads: number;
  partialBytes: number;
}

const UPLOAD_DIR_GAUGES: [keyof UploadDirReport, string, string][] = [
  ['freeBytes', 'depot_upload_dir_free_bytes', 'Bytes free on the file system of UPLOAD_DIR'],
  [
    'promisedBytes',
    'depot_upload_promised_bytes',
    'Bytes unfinished resumable uploads may still send (counted against the free space)',
  ],
  ['partialUploads', 'depot_partial_uploads', 'Unfinished resumable uploads with data on disk'],
  ['partialBytes', 'depot_partial_upload_bytes', 'Bytes unfinished resumable uploads hold on disk'],
];

/** Gauges of the upload directory, read from `report` once per scrape; a failing read leaves them unset. */
export function registerUploadDirGauges(
  metrics: Metrics,
  report: () => Promise<UploadDirReport>,
): void {
  // One reading serves the four gauges of a scrape (they are collected one after the other).
  let reading: { at: number; value: Promise<UploadDirReport | null> } | null = null;
  const current = () => {
    if (!reading || Date.now() - reading.at > 1000)
      reading = { at: Date.now(), value: report().catch(() => null) };
    return reading.value;
  };
  for (const [field, name, help] of UPLOAD_DIR_GAUGES) {
    new Gauge({
      name,
      help,
      registers: [metrics.registry],
      async collect() {
        const value = await current();
        if (value) this.set(value[field]);
      },
    });
  }
}
