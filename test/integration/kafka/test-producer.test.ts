import { connect, type Socket } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Kafka, logLevel, type ISocketFactory } from 'kafkajs'
import { messagesInTopic } from '../../helpers/kafka-streams.ts'
import {
  connectTestKafka,
  createTestProducer,
  kafkaUnavailable,
  releaseEvent,
  testBrokers,
  type TestKafka,
} from '../../helpers/kafka.ts'

/** Kafka's API key of Produce requests. */
const PRODUCE = 0

/**
 * A socket factory that loses the broker's answer to the first Produce request: the request
 * reaches the broker, which appends the messages, and the connection drops when the answer
 * comes back. A test double, for a fault that cannot be caused on demand: on a loaded machine
 * the same happens when a produce request times out, or when a partition of a new topic is
 * not ready and the broker fails it while appending the others of the same request.
 */
function loseFirstProduceAnswer(): { socketFactory: ISocketFactory; readonly lost: number } {
  let lost = 0
  let armed = true
  const socketFactory: ISocketFactory = ({ host, port, onConnect }) => {
    const socket: Socket = connect({ host, port }, onConnect)
    let awaited: number | undefined
    const write = socket.write.bind(socket) as (...args: unknown[]) => boolean
    socket.write = (chunk: unknown, ...rest: unknown[]) => {
      // KafkaJS writes each request in one piece: size, API key, version, correlation id.
      if (
        armed &&
        Buffer.isBuffer(chunk) &&
        chunk.length >= 12 &&
        chunk.readInt16BE(4) === PRODUCE
      ) {
        armed = false
        awaited = chunk.readInt32BE(8)
      }
      return write(chunk, ...rest)
    }
    let received = Buffer.alloc(0)
    const emit = socket.emit.bind(socket) as (event: string | symbol, ...args: unknown[]) => boolean
    socket.emit = ((event: string | symbol, ...args: unknown[]) => {
      if (event !== 'data' || awaited === undefined) return emit(event, ...args)
      // Pass the answers to other requests on; drop the Produce answer and the connection.
      received = Buffer.concat([received, args[0] as Buffer])
      while (received.length >= 8 && received.length >= 4 + received.readInt32BE(0)) {
        const frame = received.subarray(0, 4 + received.readInt32BE(0))
        received = received.subarray(frame.length)
        if (frame.readInt32BE(4) === awaited) {
          lost++
          awaited = undefined
          // As when the broker closes the connection ('end' is what KafkaJS listens to).
          emit('end')
          socket.destroy()
          return true
        }
        emit('data', frame)
      }
      return true
    }) as Socket['emit']
    return socket
  }
  return {
    socketFactory,
    get lost() {
      return lost
    },
  }
}

describe.skipIf(kafkaUnavailable())('The producer of the Kafka tests', () => {
  let kafka: TestKafka
  beforeAll(async () => {
    kafka = await connectTestKafka()
  })
  afterAll(async () => {
    await kafka?.close()
  })

  it('leaves each message once in the topic when the answer to a produce request is lost and it sends again', async () => {
    const topic = await kafka.createTopic('lost_answer', 2)
    const fault = loseFirstProduceAnswer()
    const client = new Kafka({
      clientId: 'release-health-tests-lossy',
      brokers: testBrokers(),
      logLevel: logLevel.NOTHING,
      socketFactory: fault.socketFactory,
    })
    const producer = createTestProducer(client)
    await producer.connect()
    try {
      const messages = Array.from({ length: 20 }, (_, n) => ({
        partition: n % 2,
        value: releaseEvent({ id: `lost-answer-${n}` }),
      }))
      await producer.send({ topic, messages })
    } finally {
      await producer.disconnect()
    }

    expect(fault.lost).toBe(1)
    expect(await messagesInTopic(kafka, topic)).toBe(20)
  })
})
