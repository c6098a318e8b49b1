// JSON lines for the chain benchmark, in the shape bench/rtcp.ts prints.

/** a / b to three decimals; NaN (printed as null) when either side is missing. */
export function ratio (a: number, b: number): number {
  return Number.isFinite(a) && Number.isFinite(b) && b !== 0 ? Number((a / b).toFixed(3)) : NaN
}

export function makeEmitter (commit: string): {
  emit: (bench: string, params: Record<string, unknown>, unit: string, value: number, extra?: Record<string, unknown>) => void
  skip: (bench: string, params: Record<string, unknown>, why: string) => void
} {
  const line = (o: Record<string, unknown>): void => { process.stdout.write(JSON.stringify({ ...o, node: process.version, commit }) + '\n') }
  return {
    emit: (bench, params, unit, value, extra = {}) => { line({ bench, params, unit, value: Number(value.toFixed(3)), ...extra }) },
    skip: (bench, params, why) => { line({ bench, params, skipped: why }) }
  }
}
