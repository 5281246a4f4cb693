import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { createProgram } from '../../src/cli/main.ts'
import { DEFAULT_CONFIG } from '../../src/config/defaults.ts'
import { resolveConfig, toEnvName } from '../../src/config/resolve-config.ts'

/**
 * compose.yaml cannot be run here (no Docker), so what can drift is checked instead: it
 * parses, every file it names exists, and release-health is configured with keys it knows.
 */
const ROOT = join(import.meta.dirname, '../..')

interface Service {
  image?: string
  pull_policy?: string
  build?: string | { context: string; dockerfile?: string }
  command?: string[]
  environment?: Record<string, string>
  volumes?: string[]
  depends_on?: Record<string, unknown>
  profiles?: string[]
}

const compose = parse(readFileSync(join(ROOT, 'compose.yaml'), 'utf8')) as {
  services: Record<string, Service>
}
const services = Object.entries(compose.services)
/** The services that build release-health's image: one, so the image is built once. */
const buildingServices = services.filter(([, service]) => service.build !== undefined)
const releaseHealthImage = buildingServices[0]?.[1].image
/** Every service running release-health: the one that builds the image and those that reuse it. */
const releaseHealthServices = services.filter(
  ([, service]) => service.build !== undefined || service.image === releaseHealthImage,
)

/** Every dotted config key: `clickhouse.url`, `kafka.topics`, ... */
function configKeys(node: Record<string, unknown>, prefix = ''): string[] {
  return Object.entries(node).flatMap(([name, value]) =>
    typeof value === 'object' && value !== null && !Array.isArray(value)
      ? configKeys(value as Record<string, unknown>, `${prefix}${name}.`)
      : [`${prefix}${name}`],
  )
}

const ENV_NAMES = new Set(configKeys(DEFAULT_CONFIG).map(toEnvName))

function buildContext(service: Service): { context: string; dockerfile: string } {
  const build = typeof service.build === 'string' ? { context: service.build } : service.build
  return { context: build?.context ?? '.', dockerfile: build?.dockerfile ?? 'Dockerfile' }
}

describe('compose.yaml', () => {
  it('runs ClickHouse, Kafka, Grafana and release-health', () => {
    const images = services.map(([, service]) => service.image ?? '')
    expect(images).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^clickhouse\/clickhouse-server:/),
        expect.stringMatching(/^apache\/kafka:/),
        expect.stringMatching(/^grafana\/grafana:/),
      ]),
    )
    expect(releaseHealthServices.map(([, service]) => service.command?.[0])).toEqual(
      expect.arrayContaining(['serve', 'ingest-kafka']),
    )
  })

  it('builds one image, tagged, that every release-health service runs without pulling it', () => {
    expect(buildingServices.map(([name]) => name)).toEqual(['release-health'])
    expect(releaseHealthImage).toMatch(/^release-health:/)
    expect(releaseHealthServices.map(([name]) => name).sort()).toEqual([
      'ingest-kafka',
      'release-health',
      'rh-ingest-kafka-1',
      'rh-ingest-kafka-2',
      'rh-serve-1',
      'rh-serve-2',
      'simulate',
    ])
    for (const [name, service] of releaseHealthServices.filter(([, s]) => s.build === undefined)) {
      expect(service.pull_policy, name).toBe('never')
      // Started after the service that builds the image (compose builds before it creates).
      expect(Object.keys(service.depends_on ?? {}), name).toContain('release-health')
    }
  })

  it('listens on every interface of the serve container, where the published ports arrive', () => {
    const serve = compose.services['release-health']
    const config = resolveConfig({ file: '/dev/null', env: serve?.environment ?? {} })
    expect(config.api.host).toBe('0.0.0.0')
    expect(config.otlp.http.host).toBe('0.0.0.0')
    expect(config.otlp.grpc.host).toBe('0.0.0.0')
  })

  it('builds from a Dockerfile whose every COPY source exists', () => {
    for (const [, service] of buildingServices) {
      const { context, dockerfile } = buildContext(service)
      const dockerfilePath = join(ROOT, context, dockerfile)
      expect(existsSync(dockerfilePath), dockerfilePath).toBe(true)
      const sources = [...readFileSync(dockerfilePath, 'utf8').matchAll(/^COPY\s+(.+)\s+\S+$/gm)]
        .flatMap((match) => (match[1] ?? '').split(/\s+/))
        .filter((source) => !source.startsWith('--'))
      expect(sources.length).toBeGreaterThan(0)
      for (const source of sources)
        expect(existsSync(join(ROOT, context, source)), source).toBe(true)
    }
  })

  it('mounts only files and folders that exist', () => {
    const binds = services.flatMap(([, service]) =>
      (service.volumes ?? []).filter((volume) => volume.startsWith('.')),
    )
    expect(binds.length).toBeGreaterThan(0)
    for (const bind of binds) {
      const hostPath = bind.split(':')[0] ?? ''
      expect(existsSync(join(ROOT, hostPath)), hostPath).toBe(true)
    }
  })

  it('depends only on services it defines', () => {
    for (const [name, service] of services) {
      for (const dependency of Object.keys(service.depends_on ?? {})) {
        expect(compose.services, `${name} depends on ${dependency}`).toHaveProperty(dependency)
      }
    }
  })

  it('sets only RH_* variables that name config keys, with values the resolver accepts', () => {
    for (const [name, service] of releaseHealthServices) {
      const environment = service.environment ?? {}
      for (const variable of Object.keys(environment).filter((key) => key.startsWith('RH_'))) {
        expect(ENV_NAMES, `${name} sets ${variable}`).toContain(variable)
      }
      expect(() => resolveConfig({ file: '/dev/null', env: environment })).not.toThrow()
    }
  })

  it('points release-health at the compose ClickHouse and Kafka, with the ClickHouse user', () => {
    const clickhouse = compose.services.clickhouse?.environment ?? {}
    for (const [, service] of releaseHealthServices.filter(([, s]) => s.profiles === undefined)) {
      const config = resolveConfig({ file: '/dev/null', env: service.environment ?? {} })
      expect(new URL(config.clickhouse.url).hostname).toBe('clickhouse')
      expect(config.clickhouse.username).toBe(clickhouse.CLICKHOUSE_USER)
      expect(config.clickhouse.password).toBe(clickhouse.CLICKHOUSE_PASSWORD)
      for (const broker of config.kafka.brokers) {
        expect(compose.services).toHaveProperty(broker.split(':')[0] ?? '')
      }
    }
  })

  it('runs commands and options the release-health CLI has', () => {
    const program = createProgram()
    for (const [name, service] of releaseHealthServices) {
      const [commandName, ...args] = service.command ?? ['serve']
      const command = program.commands.find((candidate) => candidate.name() === commandName)
      expect(command, `${name} runs ${commandName}`).toBeDefined()
      const known = new Set(command?.options.map((option) => option.long))
      for (const flag of args.filter((arg) => arg.startsWith('--'))) {
        expect(known, `${name}: ${commandName} ${flag}`).toContain(flag)
      }
    }
  })

  it('gives Grafana the provisioning, the dashboards and the ClickHouse user', () => {
    const grafana = compose.services.grafana
    const clickhouse = compose.services.clickhouse?.environment ?? {}
    expect(grafana?.environment?.GF_PLUGINS_PREINSTALL_SYNC).toBe('grafana-clickhouse-datasource')
    expect(grafana?.environment?.CLICKHOUSE_USER).toBe(clickhouse.CLICKHOUSE_USER)
    expect(grafana?.environment?.CLICKHOUSE_PASSWORD).toBe(clickhouse.CLICKHOUSE_PASSWORD)
    const provider = parse(
      readFileSync(join(ROOT, 'dashboards/provisioning/dashboards/release-health.yaml'), 'utf8'),
    ) as { providers: { options: { path: string } }[] }
    const mountTargets = (grafana?.volumes ?? []).map((volume) => volume.split(':')[1])
    expect(mountTargets).toEqual(
      expect.arrayContaining([
        '/etc/grafana/provisioning/datasources',
        '/etc/grafana/provisioning/dashboards',
        provider.providers[0]?.options.path,
      ]),
    )
    const datasource = parse(
      readFileSync(
        join(ROOT, 'dashboards/provisioning/datasources/release-health-clickhouse.yaml'),
        'utf8',
      ),
    ) as { datasources: { jsonData: { host: string; defaultDatabase: string } }[] }
    expect(datasource.datasources[0]?.jsonData.host).toBe('clickhouse')
    expect(datasource.datasources[0]?.jsonData.defaultDatabase).toBe(
      DEFAULT_CONFIG.clickhouse.database,
    )
  })

  it('has a cluster profile: Keeper, two ClickHouse shards, two serve processes and two Kafka workers on them', () => {
    const inProfile = services.filter(([, service]) => service.profiles?.includes('cluster'))
    const commands = inProfile.map(
      ([, service]) => service.image?.split(':')[0] + ' ' + (service.command?.[0] ?? ''),
    )
    expect(commands.sort()).toEqual([
      'clickhouse/clickhouse-keeper ',
      'clickhouse/clickhouse-server ',
      'clickhouse/clickhouse-server ',
      'release-health ingest-kafka',
      'release-health ingest-kafka',
      'release-health serve',
      'release-health serve',
    ])
    const servers = new Set<string>()
    for (const [name, service] of inProfile.filter(([, s]) => s.image === releaseHealthImage)) {
      const config = resolveConfig({ file: '/dev/null', env: service.environment ?? {} })
      expect(config.clickhouse.cluster, name).toBe('rh_cluster')
      servers.add(new URL(config.clickhouse.url).hostname)
    }
    expect([...servers].sort()).toEqual(['ch-1', 'ch-2'])
    const clusterXml = readFileSync(join(ROOT, 'deploy/cluster/cluster.xml'), 'utf8')
    expect(clusterXml).toContain('<rh_cluster>')
    expect(clusterXml.match(/<shard>/g)?.length).toBe(2)
  })
})
