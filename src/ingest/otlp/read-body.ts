import { RhError } from '../../errors.ts'

const strictUtf8 = new TextDecoder('utf-8', { fatal: true })

/** UTF-8 text of a JSON body; invalid UTF-8 is refused rather than silently replaced. */
export function toUtf8(body: Uint8Array): string {
  try {
    return strictUtf8.decode(body)
  } catch {
    throw new RhError('RH_INGEST_UNDECODABLE', 'the JSON body is not valid UTF-8')
  }
}
