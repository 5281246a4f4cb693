/** The characters {@link mutateJsonText} inserts and overwrites with: JSON's and a few others. */
const ALPHABET = '{}[]:,"\\ 0123456789.eE+-ntrufalsxy\n\u00e9'

/**
 * `text` with one to three random edits (a character deleted, inserted or overwritten), for
 * tests that hold a fast reader of JSON to `JSON.parse` on near-valid input.
 */
export function mutateJsonText(text: string, random: () => number): string {
  const chars = [...text]
  for (let edits = 1 + Math.floor(random() * 3); edits > 0; edits--) {
    const at = Math.floor(random() * (chars.length + 1))
    const char = ALPHABET[Math.floor(random() * ALPHABET.length)]!
    const kind = random()
    if (kind < 0.4) chars.splice(at, 1)
    else if (kind < 0.7) chars.splice(at, 0, char)
    else chars[at] = char
  }
  return chars.join('')
}
