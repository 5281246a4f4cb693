import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { builtinModules } from 'node:module'
import { join, relative } from 'node:path'
import { describe, expect, it } from 'vitest'
import { DEFAULT_CONFIG } from '../../src/config/defaults.ts'
import { resolveConfig, toEnvName } from '../../src/config/resolve-config.ts'

/**
 * No Docker engine runs here, so the image is checked for what can be known without building
 * it (issue 9.8): the install step works with the lockfile the repository holds, the build
 * context leaves out what must not go in and keeps what the image needs, only production
 * dependencies are needed at run time, and the process runs unprivileged in a directory it
 * may write (the embedded store, `report --out`).
 */
const ROOT = join(import.meta.dirname, '../..')
const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8')
/** Instructions with their continuation lines joined, comments left out. */
const instructions = dockerfile
  .replace(/\\\n/g, ' ')
  .split('\n')
  .map((line) => line.trim())
  .filter((line) => line !== '' && !line.startsWith('#'))
const of = (keyword: string): string[] =>
  instructions
    .filter((line) => line.toUpperCase().startsWith(`${keyword} `))
    .map((line) => line.slice(keyword.length + 1).trim())
const runs = of('RUN').join(' && ')

const dockerignore = readFileSync(join(ROOT, '.dockerignore'), 'utf8')
  .split('\n')
  .map((line) => line.trim())
  .filter((line) => line !== '' && !line.startsWith('#'))

/** Whether a .dockerignore pattern (plain names, `*` within one name) leaves `path` out. */
function isIgnored(path: string): boolean {
  return dockerignore.some((pattern) => {
    const regex = new RegExp(
      `^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*')}(/.*)?$`,
    )
    return regex.test(path)
  })
}

const copied = of('COPY').map((args) => {
  const parts = args.split(/\s+/).filter((part) => !part.startsWith('--'))
  return { sources: parts.slice(0, -1), destination: parts.at(-1) ?? '' }
})

describe('the Dockerfile', () => {
  it('installs with npm install, which takes the lockfile the repository holds, not npm ci', () => {
    expect(runs).not.toMatch(/\bnpm\s+ci\b/)
    expect(runs).toMatch(/\bnpm\s+install\b[^&]*--omit=dev/)
    expect(dockerfile).toMatch(/COPY package\.json package-lock\.json/)
  })

  it('copies only what exists and what the build context keeps', () => {
    const sources = copied.flatMap((copy) => copy.sources)
    expect(sources).toEqual(
      expect.arrayContaining(['package.json', 'package-lock.json', 'bin', 'src', 'dashboards']),
    )
    for (const source of sources) {
      expect(existsSync(join(ROOT, source)), source).toBe(true)
      expect(isIgnored(source), `${source} is in .dockerignore`).toBe(false)
    }
  })

  it('starts the CLI from where it was copied', () => {
    const [entrypoint] = of('ENTRYPOINT')
    const [, script] = JSON.parse(entrypoint ?? '[]') as string[]
    expect(script).toBe('/app/bin/release-health.js')
    expect(of('WORKDIR')[0]).toBe('/app')
    expect(copied.find((copy) => copy.sources.includes('bin'))?.destination).toBe('./bin')
    expect(existsSync(join(ROOT, 'bin/release-health.js'))).toBe(true)
  })

  it('runs as an unprivileged user in a working directory that user owns', () => {
    const users = of('USER')
    expect(users.at(-1)).toBe('node')
    const workdir = of('WORKDIR').at(-1) ?? ''
    expect(workdir).not.toBe('/app')
    // Created and handed to the user before USER, so ./data and report files can be written.
    expect(runs).toMatch(new RegExp(`mkdir -p ${workdir}/data`))
    expect(runs).toMatch(new RegExp(`chown -R node:node ${workdir}`))
    expect(dockerfile.indexOf(`WORKDIR ${workdir}`)).toBeLessThan(dockerfile.indexOf('USER node'))
  })

  it('listens on every interface inside the container, through config keys', () => {
    const env = Object.fromEntries(
      of('ENV')
        .flatMap((line) => line.split(/\s+/))
        .map((pair) => pair.split('=') as [string, string]),
    )
    const names = new Set(
      ['api.host', 'otlp.http.host', 'otlp.grpc.host', 'clickhouse.url'].map((key) =>
        toEnvName(key),
      ),
    )
    for (const name of Object.keys(env).filter((key) => key.startsWith('RH_'))) {
      expect(names, name).toContain(name)
    }
    const config = resolveConfig({ file: '/dev/null', env })
    expect(config.api.host).toBe('0.0.0.0')
    expect(config.otlp.http.host).toBe('0.0.0.0')
    expect(config.otlp.grpc.host).toBe('0.0.0.0')
    expect(DEFAULT_CONFIG.api.host).toBe('127.0.0.1')
  })
})

describe('the build context (.dockerignore)', () => {
  it('leaves out dependencies built for this machine, data, secrets and history', () => {
    for (const path of [
      'node_modules',
      'node_modules/chdb/index.js',
      '.git',
      'data',
      'dist',
      'release-health.yaml',
      '.env',
      'npm-debug.log',
    ]) {
      expect(isIgnored(path), path).toBe(true)
    }
  })
})

describe('what the image runs', () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    dependencies: Record<string, string>
  }

  function sourceFiles(dir: string): string[] {
    return readdirSync(dir).flatMap((name) => {
      const path = join(dir, name)
      if (statSync(path).isDirectory()) return sourceFiles(path)
      return /\.(ts|js|mjs)$/.test(name) && !name.endsWith('.d.ts') ? [path] : []
    })
  }

  it('imports only production dependencies, which is all `npm install --omit=dev` installs', () => {
    const builtins = new Set(builtinModules)
    const missing: string[] = []
    for (const file of [...sourceFiles(join(ROOT, 'src')), ...sourceFiles(join(ROOT, 'bin'))]) {
      const text = readFileSync(file, 'utf8')
      for (const match of text.matchAll(
        /(?:^|\n)\s*(?:import|export)\s(?:[^'"]*?\sfrom\s)?['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g,
      )) {
        const specifier = match[1] ?? match[2] ?? ''
        if (specifier.startsWith('.') || specifier.startsWith('node:')) continue
        const name = specifier.startsWith('@')
          ? specifier.split('/').slice(0, 2).join('/')
          : (specifier.split('/')[0] ?? '')
        if (builtins.has(name)) continue
        if (!(name in pkg.dependencies)) missing.push(`${relative(ROOT, file)}: ${specifier}`)
      }
    }
    expect(missing).toEqual([])
  })
})
