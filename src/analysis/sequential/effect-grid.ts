/**
 * The effect sizes a discrete mixture test bets on: log-spaced from 1% to 400% (on the log
 * scale of a rate ratio, or of a probability ratio), each with the same weight. Mixing over
 * geometrically spaced alternatives instead of tuning one prior scale keeps the test within
 * a constant of the best single alternative at every effect size and sample size, the idea
 * behind "stitched" boundaries (Howard, Ramdas, McAuliffe & Sekhon 2021, "Time-uniform,
 * nonparametric, nonasymptotic confidence sequences", Ann. Statist. 49(2)).
 */
export const EFFECT_GRID: readonly number[] = buildGrid(0.01, 4, 1.35)

/** ln of the weight of each grid point (uniform). */
export const LOG_GRID_WEIGHT = -Math.log(EFFECT_GRID.length)

function buildGrid(from: number, to: number, ratio: number): number[] {
  const grid: number[] = []
  for (let value = from; value <= to; value *= ratio) grid.push(value)
  return grid
}

/**
 * ln Σ exp(term(x)) over the grid, without overflow and without allocating (a running maximum
 * rescales the partial sum).
 */
export function logSumExpOver(grid: readonly number[], term: (x: number) => number): number {
  let max = -Infinity
  let sum = 0
  for (const x of grid) {
    const value = term(x)
    if (value === -Infinity) continue
    if (value > max) {
      sum = sum * Math.exp(max - value) + 1
      max = value
    } else {
      sum += Math.exp(value - max)
    }
  }
  return max === -Infinity || max === Infinity ? max : max + Math.log(sum)
}
