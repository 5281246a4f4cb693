/**
 * Turns a dashboard query into the SQL that reaches ClickHouse, in the order the
 * grafana-clickhouse-datasource plugin and Grafana apply each step:
 *
 * 1. the plugin's frontend replaces `$__conditionalAll(condition, $var)` with `1=1` when the
 *    variable is set to All (or empty), else with the condition;
 * 2. Grafana interpolates template variables: `${var:sqlstring}` quotes and escapes each
 *    value, `$var` / `${var}` use the plugin's format (a list becomes 'a','b'; a single
 *    value goes in as it is); All expands to every option;
 * 3. the plugin's backend expands its time macros (pkg/macros/macros.go): `$__timeFilter(c)`
 *    → `c >= toDateTime(from) AND c <= toDateTime(to)` in unix seconds, `$__timeInterval(c)`
 *    → `toStartOfInterval(toDateTime(c), INTERVAL n second)`, `$__interval_s` → n, and the
 *    `_ms` variants with fromUnixTimestamp64Milli.
 *
 * Anything that still looks like a macro or variable afterwards is an error, so a typo in a
 * dashboard fails its test instead of reaching ClickHouse.
 */

export const ALL = '$__all'

/** A template variable as Grafana holds it: its selection, and its options for All. */
export interface VariableState {
  /** One value, several (multi-value), or ALL. */
  readonly current: string | readonly string[]
  /** Every option the variable's query returned; what All expands to. */
  readonly options?: readonly string[]
}

export interface QueryContext {
  readonly fromMs: number
  readonly toMs: number
  /** The panel's interval (Grafana derives it from the range and the panel width). */
  readonly intervalSeconds: number
  readonly variables: Readonly<Record<string, VariableState>>
}

export function expandGrafanaSql(sql: string, context: QueryContext): string {
  const conditioned = applyConditionalAll(sql, context.variables)
  const interpolated = interpolateVariables(conditioned, context.variables)
  const expanded = expandTimeMacros(interpolated, context)
  const leftover = /\$(__)?\w+|\$\{[^}]*\}/.exec(expanded)
  if (leftover !== null) {
    throw new Error(`unknown macro or variable ${leftover[0]} in:\n${sql}`)
  }
  return expanded
}

/** The plugin's `applyConditionalAll`: arguments split at top-level commas of the call. */
function applyConditionalAll(
  sql: string,
  variables: Readonly<Record<string, VariableState>>,
): string {
  const macro = '$__conditionalAll('
  let result = sql
  for (let index = result.lastIndexOf(macro); index !== -1; index = result.lastIndexOf(macro)) {
    const [condition, variable, end] = splitTwoArguments(result, index + macro.length)
    const name = /\$\{?(\w+)/.exec(variable)?.[1]
    const state = name === undefined ? undefined : variables[name]
    if (state === undefined)
      throw new Error(`$__conditionalAll names no known variable: ${variable}`)
    const value = String(state.current)
    result =
      result.slice(0, index) +
      (value === '' || value === ALL ? '1=1' : condition) +
      result.slice(end)
  }
  return result
}

/** The two arguments of a call whose argument list starts at `start`, and the index after it. */
function splitTwoArguments(sql: string, start: number): [string, string, number] {
  let depth = 1
  let comma = -1
  for (let index = start; index < sql.length; index++) {
    const character = sql[index]
    if (character === '(') depth++
    if (character === ',' && depth === 1 && comma === -1) comma = index
    if (character === ')' && --depth === 0) {
      if (comma === -1) throw new Error(`$__conditionalAll needs two arguments at ${start}`)
      return [sql.slice(start, comma), sql.slice(comma + 1, index), index + 1]
    }
  }
  throw new Error(`unbalanced parentheses after $__conditionalAll at ${start}`)
}

function interpolateVariables(
  sql: string,
  variables: Readonly<Record<string, VariableState>>,
): string {
  return sql.replace(
    /\$\{(\w+)(?::(\w+))?\}|\$(?!__)(\w+)/g,
    (match, braced: string | undefined, format: string | undefined, bare: string | undefined) => {
      const name = braced ?? bare ?? ''
      const state = variables[name]
      if (state === undefined) return match
      return formatValues(valuesOf(state), format)
    },
  )
}

function valuesOf(state: VariableState): readonly string[] {
  if (state.current === ALL || (Array.isArray(state.current) && state.current.includes(ALL))) {
    return state.options ?? []
  }
  return typeof state.current === 'string' ? [state.current] : state.current
}

function formatValues(values: readonly string[], format: string | undefined): string {
  switch (format) {
    case 'sqlstring':
      return values.map((value) => `'${value.replaceAll("'", "''")}'`).join(',')
    case 'singlequote':
      return values.map((value) => `'${value.replaceAll("'", "\\'")}'`).join(',')
    case 'csv':
    case 'raw':
      return values.join(',')
    case undefined:
      // The plugin's own format: a list is quoted and joined, a single value is inserted as is.
      return values.length === 1 ? (values[0] ?? '') : `'${values.join("','")}'`
    default:
      throw new Error(`variable format ${format} is not supported by this helper`)
  }
}

function expandTimeMacros(sql: string, context: QueryContext): string {
  const fromSeconds = Math.floor(context.fromMs / 1000)
  const toSeconds = Math.floor(context.toMs / 1000)
  const interval = Math.max(1, Math.floor(context.intervalSeconds))
  const intervalMs = Math.max(1, Math.floor(context.intervalSeconds * 1000))
  const macros: Record<string, (args: string[]) => string> = {
    fromTime: () => `toDateTime(${fromSeconds})`,
    toTime: () => `toDateTime(${toSeconds})`,
    fromTime_ms: () => `fromUnixTimestamp64Milli(${context.fromMs})`,
    toTime_ms: () => `fromUnixTimestamp64Milli(${context.toMs})`,
    timeFilter: ([column]) =>
      `${column} >= toDateTime(${fromSeconds}) AND ${column} <= toDateTime(${toSeconds})`,
    timeFilter_ms: ([column]) =>
      `${column} >= fromUnixTimestamp64Milli(${context.fromMs}) AND ${column} <= fromUnixTimestamp64Milli(${context.toMs})`,
    dateFilter: ([column]) =>
      `${column} >= toDate('${isoDate(context.fromMs)}') AND ${column} <= toDate('${isoDate(context.toMs)}')`,
    timeInterval: ([column]) =>
      `toStartOfInterval(toDateTime(${column}), INTERVAL ${interval} second)`,
    timeInterval_ms: ([column]) =>
      `toStartOfInterval(toDateTime64(${column}, 3), INTERVAL ${intervalMs} millisecond)`,
    interval_s: () => String(interval),
  }
  // As the plugin's regex: the name must end at a word boundary, so `$__timeFilter` does not
  // swallow `$__timeFilter_ms`; arguments run to the first closing parenthesis.
  return sql.replace(/\$__(\w+)\b(?:\(([^)]*)\))?/g, (match, name: string, args?: string) => {
    const macro = macros[name]
    if (macro === undefined) return match
    return macro(args === undefined ? [] : args.split(',').map((arg) => arg.trim()))
  })
}

function isoDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10)
}
