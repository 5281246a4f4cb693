import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import {
  createPolicyTemplates,
  loadTemplates,
  type PolicyTemplates,
} from '../../../src/verdicts/policy-templates.ts'
import { waitFor } from '../../helpers/store.ts'

function policyDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'rh-policies-'))
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text)
  return dir
}

let open: PolicyTemplates | undefined
afterEach(() => open?.close())

describe('policy templates', () => {
  it('finds the environment-specific template first, then the service-wide one', () => {
    const dir = policyDir({
      'checkout.yaml': 'service: checkout\npolicy:\n  alpha: 0.02\n',
      'checkout-prod.yaml': 'service: checkout\nenvironment: production\npolicy:\n  alpha: 0.005\n',
    })
    open = createPolicyTemplates({ dir })
    expect(open.find('checkout', 'production')).toEqual({ alpha: 0.005 })
    expect(open.find('checkout', 'staging')).toEqual({ alpha: 0.02 })
    expect(open.find('search', 'production')).toBeUndefined()
  })

  it.each([
    ['a file without a service', 'policy: {}\n', /must name its service/],
    ['an invalid policy', 'service: s\npolicy:\n  alpha: 3\n', /alpha/],
    ['invalid YAML', 'service: [\n', /not valid YAML/],
  ])('refuses %s, naming the file', (_name, text, message) => {
    const dir = policyDir({ 'bad.yaml': text })
    expect(() => loadTemplates(dir)).toThrow(message)
    expect(() => loadTemplates(dir)).toThrow(/bad\.yaml/)
  })

  it('reloads a changed file, and keeps the previous templates when the change is broken', async () => {
    const dir = policyDir({ 'checkout.yaml': 'service: checkout\npolicy:\n  alpha: 0.02\n' })
    open = createPolicyTemplates({ dir })
    const templates = open
    writeFileSync(join(dir, 'checkout.yaml'), 'service: checkout\npolicy:\n  alpha: 0.03\n')
    await waitFor(
      () =>
        (templates.find('checkout', '') as { alpha: number }).alpha === 0.03 ? true : undefined,
      { timeoutMs: 10_000, what: 'the reload' },
    )
    writeFileSync(join(dir, 'checkout.yaml'), 'service: checkout\npolicy:\n  alpha: nonsense\n')
    await new Promise((resolve) => setTimeout(resolve, 600))
    expect(templates.find('checkout', '')).toEqual({ alpha: 0.03 })
  })
})
