/** bench/requests.ts: the same-answer check before measuring, and the table of its figures. */
import type { Rate } from './harness';

/** One measured request: its label, path and the credentials it carries. */
export interface BenchRequest {
  label: string;
  path: string;
  headers: Record<string, string>;
}

/** Every round's rate of one request on each side. */
export interface Measured {
  depot: Rate[];
  reference: Rate[];
}

async function answer(base: string, request: BenchRequest) {
  const response = await fetch(`${base}${request.path}`, { headers: request.headers });
  const body = Buffer.from(await response.arrayBuffer());
  return { status: response.status, type: response.headers.get('content-type'), body };
}

/**
 * Asks both servers each request once and refuses to measure unless both answer 200 with the same type and
 * the same bytes: the reference then provably reads the same rows and renders the same page.
 */
export async function checkSameAnswers(
  depotBase: string,
  referenceBase: string,
  requests: BenchRequest[],
): Promise<void> {
  for (const request of requests) {
    const depot = await answer(depotBase, request);
    const reference = await answer(referenceBase, request);
    if (depot.status !== 200 || reference.status !== 200 || depot.type !== reference.type)
      throw new Error(
        `${request.label}: Depot ${depot.status} ${depot.type}, reference ${reference.status} ${reference.type}`,
      );
    if (!depot.body.equals(reference.body)) {
      let at = 0;
      while (depot.body[at] === reference.body[at]) at += 1;
      const around = (body: Buffer) => body.subarray(Math.max(0, at - 80), at + 80).toString();
      throw new Error(
        `${request.label}: the answers differ at byte ${at} (${depot.body.length} / ${reference.body.length} bytes)` +
          `\nDepot:     ${around(depot.body)}\nreference: ${around(reference.body)}`,
      );
    }
  }
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

/** Markdown: per request the median requests per CPU-second of each side, their ratio and its range. */
export function ratioTable(results: Map<string, Measured>): string {
  const rows = [...results].map(([label, { depot, reference }]) => {
    const perCpu = (rates: Rate[]) => median(rates.map((rate) => rate.perCpuSecond));
    const perSecond = (rates: Rate[]) => median(rates.map((rate) => rate.perSecond));
    const ratios = depot.map((rate, round) => rate.perCpuSecond / reference[round].perCpuSecond);
    const [d, r] = [perCpu(depot), perCpu(reference)];
    return (
      `| ${label} | ${d.toFixed(0)} | ${r.toFixed(0)} | **${(d / r).toFixed(2)}x** ` +
      `(${Math.min(...ratios).toFixed(2)}-${Math.max(...ratios).toFixed(2)}) | ` +
      `${(1000 / d).toFixed(2)} / ${(1000 / r).toFixed(2)} | ` +
      `${perSecond(depot).toFixed(0)} / ${perSecond(reference).toFixed(0)} |`
    );
  });
  return (
    '| request | Depot req/CPU-s | reference req/CPU-s | ratio (range) | CPU ms per request, Depot / ref | req/s, Depot / ref |\n' +
    `|---|---|---|---|---|---|\n${rows.join('\n')}\n`
  );
}
