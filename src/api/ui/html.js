// Escaping for markup built from strings, shared by the built-in page (in the browser) and
// `release-health report` (in Node). Plain JavaScript so the browser loads it as it is;
// the types are in html.d.ts.

const ENTITIES = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }

/** Markup known to be safe: made only by `html`, which escapes every value it is given. */
export class SafeHtml {
  /** @param {string} markup */
  constructor(markup) {
    this.markup = markup
  }

  toString() {
    return this.markup
  }
}

/** @param {unknown} value */
export function escapeHtml(value) {
  return String(value).replace(/[&<>"']/g, (character) => ENTITIES[character])
}

/**
 * A template tag that escapes every interpolated value for text and quoted attributes,
 * except SafeHtml (already escaped). Arrays are joined; null, undefined and false vanish,
 * so `${condition && html`...`}` reads naturally.
 *
 * @param {TemplateStringsArray} strings
 * @param {...unknown} values
 */
export function html(strings, ...values) {
  let markup = strings[0] ?? ''
  values.forEach((value, index) => {
    markup += render(value) + (strings[index + 1] ?? '')
  })
  return new SafeHtml(markup)
}

/** @param {unknown} value */
function render(value) {
  if (value instanceof SafeHtml) return value.markup
  if (Array.isArray(value)) return value.map(render).join('')
  if (value === null || value === undefined || value === false) return ''
  return escapeHtml(value)
}
