// Where "ours" is loaded from: the built package entry, or another build of
// it named by BENCH_OURS_ENTRY (handy to compare two checkouts).
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

export const oursEntry = process.env.BENCH_OURS_ENTRY
  ? pathToFileURL(process.env.BENCH_OURS_ENTRY)
  : new URL('../../dist/esm/index.js', import.meta.url);

export function oursAvailable() {
  return existsSync(oursEntry) ? true : `${oursEntry.pathname} is not built (npm run build)`;
}
