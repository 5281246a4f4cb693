#!/usr/bin/env node
// In a clone the TypeScript sources run directly (Node 24 strips types); a published
// package ships the compiled `dist/` instead.
import { existsSync } from 'node:fs'

const source = new URL('../src/cli/main.ts', import.meta.url)
const compiled = new URL('../dist/src/cli/main.js', import.meta.url)
const { main } = await import(existsSync(source) ? source.href : compiled.href)
process.exitCode = await main(process.argv)
