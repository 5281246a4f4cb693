import { ExportResultCode, type ExportResult } from '@opentelemetry/core'

/**
 * The OpenTelemetry SDK drops a batch its exporter could not send (after the exporter's own
 * retries) and only logs it through its diagnostic logger, which tests leave silent. A test
 * that then counts stored rows would fail with a number and no reason. `watchExports` records
 * each failed export of a real SDK exporter, so a test can first assert that every batch was
 * accepted, and say why not.
 */

/** The part of a span, log record or metric exporter that sends a batch. */
interface Exporter<Item> {
  export(items: Item, resultCallback: (result: ExportResult) => void): void
}

/**
 * Wraps `exporter.export` in place; the returned list gains one line per failed batch
 * ("512 items: Request Timeout"). Pass the exporter to the SDK as usual.
 */
export function watchExports<Item>(exporter: Exporter<Item>): string[] {
  const failures: string[] = []
  const send = exporter.export.bind(exporter)
  exporter.export = (items, resultCallback) => {
    send(items, (result) => {
      if (result.code !== ExportResultCode.SUCCESS) {
        const size = Array.isArray(items) ? `${items.length} items` : 'a batch'
        failures.push(`${size}: ${result.error?.message ?? 'failed without an error'}`)
      }
      resultCallback(result)
    })
  }
  return failures
}
