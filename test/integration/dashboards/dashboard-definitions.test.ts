import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import {
  allPanels,
  allQueries,
  DASHBOARDS_DIR,
  loadDashboards,
  PLUGIN_TYPE,
  type Dashboard,
} from './dashboard-files.ts'

const dashboards = loadDashboards()

const datasources = parse(
  readFileSync(
    join(DASHBOARDS_DIR, 'provisioning/datasources/release-health-clickhouse.yaml'),
    'utf8',
  ),
) as { datasources: { uid: string; type: string }[] }

const providers = parse(
  readFileSync(join(DASHBOARDS_DIR, 'provisioning/dashboards/release-health.yaml'), 'utf8'),
) as { providers: { type: string; options: { path: string } }[] }

/** Names a query or title refers to: `$name`, `${name}`, `${name:format}`; not `$__macros`. */
function referencedVariables(text: string): string[] {
  return [...text.matchAll(/\$\{(\w+)(?::\w+)?\}|\$(?!__)(\w+)/g)].map(
    (match) => match[1] ?? match[2] ?? '',
  )
}

describe('the Grafana dashboards', () => {
  it('are the four the issues ask for, each with a unique uid', () => {
    expect(dashboards.map((dashboard) => dashboard.title).sort()).toEqual([
      'Canary analysis',
      'Release correlation',
      'Release health',
      'Release overview',
    ])
    const uids = dashboards.map((dashboard) => dashboard.uid)
    expect(new Set(uids).size).toBe(uids.length)
    for (const uid of uids) expect(uid).toMatch(/^[\w-]{1,40}$/)
  })

  describe.each(dashboards.map((dashboard) => [dashboard.title, dashboard] as const))(
    '%s',
    (_title, dashboard: Dashboard) => {
      it('gives every panel a unique id and a place on the 24-column grid', () => {
        const panels = allPanels(dashboard)
        expect(new Set(panels.map((panel) => panel.id)).size).toBe(panels.length)
        for (const { gridPos } of panels) {
          expect(gridPos.x + gridPos.w).toBeLessThanOrEqual(24)
          expect(gridPos.h).toBeGreaterThan(0)
        }
      })

      it('queries only the ClickHouse plugin, through its data source variable', () => {
        const datasourceVariable = dashboard.templating.list.find(
          (variable) => variable.name === 'datasource',
        )
        expect(datasourceVariable).toMatchObject({ type: 'datasource', query: PLUGIN_TYPE })
        for (const panel of allPanels(dashboard)) {
          expect(panel.datasource, panel.title).toEqual({ type: PLUGIN_TYPE, uid: '${datasource}' })
        }
        for (const query of allQueries(dashboard)) {
          expect(query.datasource, query.where).toEqual({ type: PLUGIN_TYPE, uid: '${datasource}' })
        }
      })

      it('defaults its data source variable to the provisioned data source', () => {
        const datasourceVariable = dashboard.templating.list.find(
          (variable) => variable.name === 'datasource',
        )
        const provisioned = datasources.datasources.map((datasource) => datasource.uid)
        expect(provisioned).toContain(datasourceVariable?.current?.value)
      })

      it('writes every panel query as raw SQL for the plugin, as a table or a time series', () => {
        for (const panel of allPanels(dashboard)) {
          expect(panel.targets?.length, panel.title).toBeGreaterThan(0)
          for (const target of panel.targets ?? []) {
            expect(target.editorType).toBe('sql')
            expect(target.rawSql.trim()).not.toBe('')
            expect([
              { queryType: 'timeSeries', format: 0 },
              { queryType: 'table', format: 1 },
            ]).toContainEqual({ queryType: target.queryType, format: target.format })
          }
        }
      })

      it('defines every variable its queries and titles use, before they are used', () => {
        const names = dashboard.templating.list.map((variable) => variable.name)
        for (const query of allQueries(dashboard)) {
          for (const name of referencedVariables(query.sql)) {
            expect(names, `${query.where} uses $${name}`).toContain(name)
          }
        }
        for (const panel of allPanels(dashboard)) {
          for (const name of referencedVariables(panel.title)) expect(names).toContain(name)
        }
        dashboard.templating.list.forEach((variable, index) => {
          const query = typeof variable.query === 'string' ? variable.query : ''
          for (const name of referencedVariables(query)) {
            expect(names.slice(0, index), `variable ${variable.name} uses $${name}`).toContain(name)
          }
        })
      })

      it('reads the request rollup through $requests_rollup, so it can be pointed at the exporter’s', () => {
        for (const query of allQueries(dashboard)) {
          expect(query.sql, query.where).not.toMatch(/\brequest_rollup_1m\b/)
        }
        expect(
          dashboard.templating.list.find((variable) => variable.name === 'requests_rollup'),
        ).toMatchObject({ type: 'constant', query: 'request_rollup_1m' })
      })
    },
  )

  it('gives the issue’s template variables to the per-service dashboard', () => {
    const releaseHealth = dashboards.find((dashboard) => dashboard.uid === 'rh-release-health')
    expect(releaseHealth?.templating.list.map((variable) => variable.name)).toEqual(
      expect.arrayContaining(['service', 'environment', 'release', 'flag']),
    )
  })

  it('are provisioned: a ClickHouse data source and a provider reading the dashboards folder', () => {
    expect(datasources.datasources).toContainEqual(expect.objectContaining({ type: PLUGIN_TYPE }))
    expect(providers.providers).toEqual([
      expect.objectContaining({
        type: 'file',
        options: expect.objectContaining({ path: '/var/lib/grafana/dashboards' }),
      }),
    ])
  })
})
