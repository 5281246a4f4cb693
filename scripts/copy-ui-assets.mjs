// The built-in page's HTML, CSS and browser modules are served as files; the TypeScript build
// does not copy them, so the published package gets them here.
import { cpSync } from 'node:fs'

cpSync('src/api/ui', 'dist/src/api/ui', { recursive: true })
