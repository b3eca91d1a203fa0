export function median(xs) {
  const v = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const m = v.length >> 1;
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

/** Nearest-rank percentile of an unsorted numeric array. */
export function percentile(xs, p) {
  if (xs.length === 0) return NaN;
  const v = Float64Array.from(xs).sort();
  const idx = Math.min(v.length - 1, Math.max(0, Math.ceil((p / 100) * v.length) - 1));
  return v[idx];
}

/** Median plus range of a list of samples (one per round). */
export function summarize(xs) {
  const v = xs.filter((x) => Number.isFinite(x));
  return { median: median(v), min: v.length ? Math.min(...v) : NaN, max: v.length ? Math.max(...v) : NaN, samples: xs };
}

/**
 * What the load generators' fan-out reports add up to: deliveries, the
 * count expected, and whether every connection got exactly its messages
 * (nothing stray, no wrong length).
 */
export function deliveryTotals(reports, expected) {
  const delivered = reports.reduce((a, x) => a + x.delivered, 0);
  const stray = reports.reduce((a, x) => a + x.stray, 0);
  const badLength = reports.reduce((a, x) => a + x.badLength, 0);
  const complete = delivered === expected && stray === 0 && badLength === 0 && reports.every((x) => x.connsComplete === x.conns);
  return { delivered, expected, stray, badLength, complete };
}
