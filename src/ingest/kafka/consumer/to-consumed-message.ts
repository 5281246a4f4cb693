import type { KafkaMessage } from 'kafkajs'
import type { ConsumedMessage } from '../consumed-message.ts'
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
    offset: BigInt(message.offset),
    timestampMs: message.timestamp,
    decoded,
    rows: poison ? 0 : rowCount(decoded),
    key: keepKey && message.key !== null ? Buffer.from(message.key) : null,
    value: poison && message.value !== null ? Buffer.from(message.value) : null,
    receivedAtMs,
  }
}
