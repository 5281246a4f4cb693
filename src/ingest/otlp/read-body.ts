import { gunzip } from 'node:zlib'
import { promisify } from 'node:util'
import { RhError } from '../../errors.ts'

const gunzipAsync = promisify(gunzip)
const strictUtf8 = new TextDecoder('utf-8', { fatal: true })

/**
 * The request body as the sender meant it: gunzipped when `Content-Encoding: gzip`, never
 * inflated past `maxBodyBytes` (a gzip bomb is refused as too large, not decompressed).
 */
export async function decodeContentEncoding(
  body: Buffer,
  contentEncoding: string | undefined,
  maxBodyBytes: number,
): Promise<Buffer> {
  const encoding = (contentEncoding ?? 'identity').trim().toLowerCase()
  if (encoding === 'identity' || encoding === '') return body
  if (encoding !== 'gzip') {
    throw new RhError(
      'RH_INGEST_UNSUPPORTED_MEDIA_TYPE',
      `Content-Encoding "${encoding}" is not supported; send gzip or an uncompressed body`,
    )
  }
  try {
    return await gunzipAsync(body, { maxOutputLength: maxBodyBytes })
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new RhError(
        'RH_INGEST_TOO_LARGE',
        `the gzip body inflates past the limit of ${maxBodyBytes} bytes (otlp.http.maxBodyBytes); send smaller batches`,
      )
    }
    throw new RhError(
      'RH_INGEST_UNDECODABLE',
      `the body is not valid gzip: ${(error as Error).message}`,
    )
  }
}

/** UTF-8 text of a JSON body; invalid UTF-8 is refused rather than silently replaced. */
export function toUtf8(body: Uint8Array): string {
  try {
    return strictUtf8.decode(body)
  } catch {
    throw new RhError('RH_INGEST_UNDECODABLE', 'the JSON body is not valid UTF-8')
  }
}
