import { readFileSync } from 'node:fs'

/** Reads a committed reference file written by scripts/reference/generate_reference.py. */
export function readReference<T>(name: string): T {
  const url = new URL(`../../fixtures/reference/${name}`, import.meta.url)
  return JSON.parse(readFileSync(url, 'utf8')) as T
}

/** |actual − expected| / |expected|, or the absolute difference when expected is 0. */
export function relativeError(actual: number, expected: number): number {
  if (expected === 0) return Math.abs(actual)
  return Math.abs(actual - expected) / Math.abs(expected)
}

export type Alternative = 'two-sided' | 'less' | 'greater'
export const ALTERNATIVES: readonly Alternative[] = ['two-sided', 'less', 'greater']

export interface TwoSampleCase<E> {
  readonly name: string
  readonly x: number[]
  readonly y: number[]
  readonly expected: Record<Alternative, E>
}
