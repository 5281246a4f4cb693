/**
 * The alternative hypothesis of a fixed-horizon test, as scipy names it: `greater` means the
 * first sample tends to be larger than the second.
 */
export type Alternative = 'two-sided' | 'less' | 'greater'

export interface TestOptions {
  readonly alternative?: Alternative
}
