import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

/** The parts of Grafana's dashboard JSON the tests read. */
export interface DatasourceRef {
  readonly type?: string
  readonly uid?: string
}

export interface Target {
  readonly refId: string
  readonly datasource?: DatasourceRef
  readonly editorType?: string
  readonly queryType?: string
  readonly format?: number
  readonly rawSql: string
}

export interface Panel {
  readonly id: number
  readonly type: string
  readonly title: string
  readonly gridPos: { x: number; y: number; w: number; h: number }
  readonly datasource?: DatasourceRef
  readonly targets?: readonly Target[]
  readonly transformations?: readonly { id: string; options: Record<string, unknown> }[]
  readonly panels?: readonly Panel[]
}

export interface Variable {
  readonly name: string
  readonly type: string
  readonly query?: string | { rawSql?: string }
  readonly datasource?: DatasourceRef
  readonly multi?: boolean
  readonly includeAll?: boolean
  readonly current?: { value?: string | string[] }
}

export interface Annotation {
  readonly name: string
  readonly builtIn?: number
  readonly datasource?: DatasourceRef
  readonly target?: Target
}

export interface Dashboard {
  readonly file: string
  readonly uid: string
  readonly title: string
  readonly panels: readonly Panel[]
  readonly templating: { readonly list: readonly Variable[] }
  readonly annotations: { readonly list: readonly Annotation[] }
}

export const DASHBOARDS_DIR = join(import.meta.dirname, '../../../dashboards')

export const PLUGIN_TYPE = 'grafana-clickhouse-datasource'

export function loadDashboards(): Dashboard[] {
  return readdirSync(DASHBOARDS_DIR)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file) => ({
      ...(JSON.parse(readFileSync(join(DASHBOARDS_DIR, file), 'utf8')) as Omit<Dashboard, 'file'>),
      file,
    }))
}

/** Every panel, including those nested in rows. */
export function allPanels(dashboard: Dashboard): Panel[] {
  return dashboard.panels.flatMap((panel) => [panel, ...(panel.panels ?? [])])
}

/** Every query of a dashboard with where it comes from: panels, annotations, variables. */
export function allQueries(
  dashboard: Dashboard,
): { readonly where: string; readonly sql: string; readonly datasource?: DatasourceRef }[] {
  const panelQueries = allPanels(dashboard).flatMap((panel) =>
    (panel.targets ?? []).map((target) => ({
      where: `panel "${panel.title}"`,
      sql: target.rawSql,
      ...(target.datasource === undefined ? {} : { datasource: target.datasource }),
    })),
  )
  const annotationQueries = dashboard.annotations.list.flatMap((annotation) =>
    annotation.target === undefined
      ? []
      : [
          {
            where: `annotation "${annotation.name}"`,
            sql: annotation.target.rawSql,
            ...(annotation.datasource === undefined ? {} : { datasource: annotation.datasource }),
          },
        ],
  )
  const variableQueries = dashboard.templating.list.flatMap((variable) =>
    variable.type === 'query'
      ? [
          {
            where: `variable "${variable.name}"`,
            sql: variableSql(variable),
            ...(variable.datasource === undefined ? {} : { datasource: variable.datasource }),
          },
        ]
      : [],
  )
  return [...panelQueries, ...annotationQueries, ...variableQueries]
}

export function variableSql(variable: Variable): string {
  return typeof variable.query === 'string' ? variable.query : (variable.query?.rawSql ?? '')
}
