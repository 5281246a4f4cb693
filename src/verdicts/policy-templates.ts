import { readdirSync, readFileSync, watch, type FSWatcher } from 'node:fs'
import { join } from 'node:path'
import { parse } from 'yaml'
import { parsePolicy } from '../analysis/index.ts'
import { RhError, toMessage } from '../errors.ts'
import { silentLogger, type Logger } from '../logger.ts'

/**
 * Analysis templates per service: YAML files in one directory, each
 * `{ service, environment?, policy }`. An analysis created without a policy takes its
 * service's template (environment-specific first); the policy is copied into the analysis, so
 * a later change to the file never rewrites an analysis already running.
 */
export interface PolicyTemplates {
  /** The template policy for a service and environment, or undefined. */
  find(service: string, environment: string): unknown
  close(): void
}

interface Template {
  readonly service: string
  readonly environment: string
  readonly policy: unknown
  readonly file: string
}

export const NO_TEMPLATES: PolicyTemplates = { find: () => undefined, close: () => undefined }

/** Reads every `*.yaml`/`*.yml`/`*.json` file in `dir`, validating each policy. */
export function loadTemplates(dir: string): Template[] {
  const files = readdirSync(dir)
    .filter((name) => /\.(ya?ml|json)$/.test(name))
    .sort()
  return files.map((name) => {
    const file = join(dir, name)
    let raw: unknown
    try {
      raw = parse(readFileSync(file, 'utf8'))
    } catch (error) {
      throw new RhError(
        'RH_POLICY_INVALID',
        `policy template ${file} is not valid YAML: ${toMessage(error)}`,
      )
    }
    const template = raw as { service?: unknown; environment?: unknown; policy?: unknown } | null
    if (typeof template?.service !== 'string' || template.service === '') {
      throw new RhError(
        'RH_POLICY_INVALID',
        `policy template ${file} must name its service ("service: checkout")`,
      )
    }
    if (template.environment !== undefined && typeof template.environment !== 'string') {
      throw new RhError(
        'RH_POLICY_INVALID',
        `policy template ${file}: environment must be a string`,
      )
    }
    try {
      parsePolicy(template.policy ?? {})
    } catch (error) {
      throw new RhError('RH_POLICY_INVALID', `policy template ${file}: ${toMessage(error)}`)
    }
    return {
      service: template.service,
      environment: template.environment ?? '',
      policy: template.policy ?? {},
      file,
    }
  })
}

/**
 * Templates from `dir`, reloaded when a file in it changes. A reload that fails keeps the
 * templates in force and logs why, so a typo in one file never takes policies away.
 */
export function createPolicyTemplates(options: { dir: string; logger?: Logger }): PolicyTemplates {
  const logger = options.logger ?? silentLogger
  let templates = loadTemplates(options.dir)
  logger.info({ dir: options.dir, templates: templates.length }, 'policy templates loaded')
  let watcher: FSWatcher | undefined
  let reloadTimer: NodeJS.Timeout | undefined
  try {
    watcher = watch(options.dir, () => {
      // Editors write a file in several steps; reload once they are done.
      clearTimeout(reloadTimer)
      reloadTimer = setTimeout(() => {
        try {
          templates = loadTemplates(options.dir)
          logger.info(
            { dir: options.dir, templates: templates.length },
            'policy templates reloaded',
          )
        } catch (error) {
          logger.error(
            { err: toMessage(error) },
            'policy templates not reloaded; the previous ones stay in force',
          )
        }
      }, 200)
    })
  } catch (error) {
    logger.warn(
      { err: toMessage(error), dir: options.dir },
      'cannot watch the policy directory; templates load at start only',
    )
  }
  return {
    find(service, environment) {
      return (
        templates.find(
          (template) =>
            template.service === service &&
            template.environment === environment &&
            environment !== '',
        )?.policy ??
        templates.find((template) => template.service === service && template.environment === '')
          ?.policy
      )
    },
    close() {
      clearTimeout(reloadTimer)
      watcher?.close()
    },
  }
}
