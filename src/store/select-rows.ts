import type { Store } from './store-client.ts'

/** Runs a SELECT with bound parameters and returns its rows as objects. */
export async function selectRows<T>(
  store: Store,
  query: string,
  params: Record<string, unknown> = {},
): Promise<T[]> {
  const result = await store.client.query({ query, query_params: params, format: 'JSONEachRow' })
  return result.json<T>()
}
