/**
 * Fault injection for the Kafka fault tests: a store whose inserts fail on demand, and a
 * switch that cuts an in-process worker off from Kafka and ClickHouse at once, the way the
 * death of its process would.
 */
import { connect, type Socket } from 'node:net'
import type { ISocketFactory } from 'kafkajs'
import type { Store } from '../../src/store/store-client.ts'

/**
 * `before-write`: the insert never reaches the store (a connection reset).
 * `after-write`: the insert is applied but its answer is lost, so the writer cannot know it
 * succeeded: the case that only a deduplication token makes safe to retry.
 */
export type InsertFault = 'none' | 'before-write' | 'after-write'

export interface FaultyStore {
  readonly store: Store
  /** Makes every following insert into `table` fail this way, until set back to 'none'. */
  inject(fault: InsertFault): void
  /** Inserts failed so far. */
  readonly failedInserts: number
}

export function createFaultyStore(store: Store, table: string): FaultyStore {
  let fault: InsertFault = 'none'
  let failedInserts = 0
  // Every write of release-health goes through `insertBytes`, whatever its format.
  const insertBytes: Store['insertBytes'] = async (options) => {
    if (options.table !== table || fault === 'none') return store.insertBytes(options)
    if (fault === 'after-write') await store.insertBytes(options)
    failedInserts++
    throw new Error(`injected fault (${fault}) on an insert into ${table}`)
  }
  return {
    store: { ...store, insertBytes },
    inject(next) {
      fault = next
    },
    get failedInserts() {
      return failedInserts
    },
  }
}

export interface CrashSwitch {
  /** Give this to `createKafkaIngest`: the worker's Kafka connections go through it. */
  readonly socketFactory: ISocketFactory
  /** The worker's view of the store: after the crash, no call of it ever completes. */
  storeOf(store: Store): Store
  /**
   * The worker dies: its Kafka connections drop without a commit or a LeaveGroup, no new
   * connection succeeds, and its store calls hang. A request already sent completes, as a
   * server completes a request from a client that died.
   */
  crash(): void
}

export function createCrashSwitch(): CrashSwitch {
  let crashed = false
  const sockets = new Set<Socket>()
  const never = new Promise<never>(() => undefined)
  return {
    socketFactory: ({ host, port, onConnect }) => {
      const socket = connect({ host, port }, onConnect)
      if (crashed) socket.destroy()
      sockets.add(socket)
      socket.once('close', () => sockets.delete(socket))
      return socket
    },
    storeOf(store) {
      const client = new Proxy(store.client, {
        get(real, property, receiver) {
          const value = bindMethod(real, property, receiver)
          if (typeof value !== 'function') return value
          return (...args: unknown[]) =>
            crashed ? never : (value as (...a: unknown[]) => unknown)(...args)
        },
      })
      const insertBytes: Store['insertBytes'] = (options) =>
        crashed ? never : store.insertBytes(options)
      return { ...store, client, insertBytes }
    },
    crash() {
      crashed = true
      for (const socket of sockets) socket.destroy()
    },
  }
}

function bindMethod(target: object, property: string | symbol, receiver: unknown): unknown {
  const value: unknown = Reflect.get(target, property, receiver)
  return typeof value === 'function'
    ? (value as (...args: unknown[]) => unknown).bind(target)
    : value
}
