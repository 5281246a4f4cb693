import type { KafkaMessage } from 'kafkajs'
import type { EventsChunk } from '../../../store/events-block.ts'
import type { ConsumedMessage, ConsumedRun } from '../consumed-message.ts'
import type { DecodedMessage } from '../formats/message-format.ts'
import { rowCount } from '../formats/message-format.ts'

/**
 * A fetched KafkaJS message and what its value decoded to, for its partition's buffer. Only a
 * poison message keeps its bytes (for the dead letter), copied so that it does not pin the
 * whole fetch response; a message with rejected items keeps its key (their dead letters carry
 * it).
 */
export function toConsumedMessage(
  message: KafkaMessage,
  decoded: DecodedMessage,
  receivedAtMs: number,
): ConsumedMessage {
  const poison = decoded.kind === 'poison'
  const keepKey = poison || decoded.rejectedItems.length > 0
  return {
    kind: 'message',
    offset: BigInt(message.offset),
    timestampMs: message.timestamp,
    decoded,
    rows: poison ? 0 : rowCount(decoded),
    key: keepKey && message.key !== null ? Buffer.from(message.key) : null,
    value: poison && message.value !== null ? Buffer.from(message.value) : null,
    receivedAtMs,
  }
}

/**
 * A fetch's messages, in order, as runs for its partition's buffer: each stretch of
 * consecutive event messages that decoded to consecutive rows of one events chunk becomes one
 * `ConsumedEventRun` (its offsets and timestamps in typed arrays shared by the fetch's runs),
 * every other message a `ConsumedMessage` of its own. The per-message `DecodedMessage`s are
 * not kept for the runs, so they die young.
 */
export function toConsumedRuns(
  messages: readonly KafkaMessage[],
  decoded: readonly DecodedMessage[],
  receivedAtMs: number,
): ConsumedRun[] {
  const runs: ConsumedRun[] = []
  let offsets: Float64Array | undefined
  let timestampsMs: Float64Array | undefined
  /** The run being built: its first message's index (-1: none), its chunk and rows. */
  let start = -1
  let chunk: EventsChunk | undefined
  let from = 0
  let to = 0
  const closeRun = (end: number): void => {
    if (start < 0) return
    runs.push({
      kind: 'events',
      chunk: chunk as EventsChunk,
      from,
      to,
      offsets: (offsets as Float64Array).subarray(start, end),
      timestampsMs: (timestampsMs as Float64Array).subarray(start, end),
      receivedAtMs,
    })
    start = -1
  }
  for (let index = 0; index < messages.length; index++) {
    const message = messages[index] as KafkaMessage
    const result = decoded[index] as DecodedMessage
    const offset = exactNumber(message.offset)
    const timestampMs = exactNumber(message.timestamp)
    if (offset === undefined || timestampMs === undefined || !isSingleEvent(result)) {
      closeRun(index)
      runs.push(toConsumedMessage(message, result, receivedAtMs))
      continue
    }
    offsets ??= new Float64Array(messages.length)
    timestampsMs ??= new Float64Array(messages.length)
    offsets[index] = offset
    timestampsMs[index] = timestampMs
    if (start >= 0 && result.chunk === chunk && result.from === to) {
      to = result.to
      continue
    }
    closeRun(index)
    start = index
    chunk = result.chunk
    from = result.from
    to = result.to
  }
  closeRun(messages.length)
  return runs
}

/** An event message of one row with nothing to dead-letter. */
function isSingleEvent(decoded: DecodedMessage): decoded is SingleEvent {
  return (
    decoded.kind === 'rows' &&
    decoded.table === 'events' &&
    decoded.rejectedItems.length === 0 &&
    decoded.to === decoded.from + 1
  )
}

type SingleEvent = Extract<DecodedMessage, { readonly table: 'events' }>

/**
 * `text` as a number, when it is an integer that prints back as exactly `text` (so no larger
 * than 2^53). Kafka offsets and timestamps are digits without a leading zero: those are
 * checked without making a string.
 */
function exactNumber(text: string): number | undefined {
  const length = text.length
  if (length === 0 || length > 15 || (length > 1 && text.charCodeAt(0) === ZERO)) {
    return roundTrip(text)
  }
  for (let i = 0; i < length; i++) {
    const code = text.charCodeAt(i)
    if (code < ZERO || code > NINE) return roundTrip(text)
  }
  // At most 15 digits: below 2^53, so exact.
  return Number(text)
}

const ZERO = 48
const NINE = 57

function roundTrip(text: string): number | undefined {
  const value = Number(text)
  return String(value) === text && Number.isSafeInteger(value) ? value : undefined
}
