import { readFileSync } from 'node:fs'

/** The version in package.json, from either the sources or the compiled `dist/`. */
export function packageVersion(): string {
  for (const path of ['../../package.json', '../../../package.json']) {
    try {
      const text = readFileSync(new URL(path, import.meta.url), 'utf8')
      return (JSON.parse(text) as { version: string }).version
    } catch {
      // try the next location
    }
  }
  return '0.0.0'
}
