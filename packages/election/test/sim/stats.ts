/** The p-th percentile (0–100) of `values`, nearest-rank. */
export function percentile (values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)))
  return sorted[rank - 1] as number
}

export function describeTimes (label: string, values: readonly number[]): string {
  const s = (ms: number): string => `${(ms / 1000).toFixed(2)} s`
  return `${label}: n=${values.length} median ${s(percentile(values, 50))} p95 ${s(percentile(values, 95))} max ${s(Math.max(...values))}`
}
