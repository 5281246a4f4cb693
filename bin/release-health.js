#!/usr/bin/env node
// In a clone the TypeScript sources run directly (Node 24 strips types); a published
// package ships the compiled `dist/` instead.
import { existsSync } from 'node:fs'

const fromSource = existsSync(new URL('../src/cli/main.ts', import.meta.url))
const modulePath = (name) =>
  new URL(fromSource ? `../src/cli/${name}.ts` : `../dist/src/cli/${name}.js`, import.meta.url).href
// Before anything else is loaded: V8 sizes its young generation as the modules load, and
// never shrinks it back (src/cli/tune-garbage-collector.ts).
const { tuneThisProcessAtStart } = await import(modulePath('tune-garbage-collector'))
tuneThisProcessAtStart()
const { main } = await import(modulePath('main'))
process.exitCode = await main(process.argv)
