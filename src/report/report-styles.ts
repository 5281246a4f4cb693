import { readFileSync } from 'node:fs'

/** The built-in page's stylesheet: a report looks like the page it summarises. */
export function readReportStyles(): string {
  return readFileSync(new URL('../api/ui/styles.css', import.meta.url), 'utf8')
}
