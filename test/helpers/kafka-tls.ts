/**
 * Self-signed certificates for the test broker's TLS listeners, made with the machine's
 * openssl: a throwaway CA, a broker certificate for localhost and 127.0.0.1 signed by it, and a
 * client certificate for mutual TLS. Keys are unencrypted PKCS#8 PEM, which both Kafka (PEM
 * key stores) and Node read as they are.
 */
import { execFile } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'

const execFileAsync = promisify(execFile)

export interface TestCertificates {
  /** The CA certificate (PEM) that signed the broker and client certificates. */
  readonly caFile: string
  /** Broker key followed by its certificate: a Kafka PEM key store. */
  readonly brokerKeyStoreFile: string
  readonly clientCertFile: string
  readonly clientKeyFile: string
  /** Names the broker certificate carries. */
  readonly brokerNames: readonly string[]
}

const DAYS = '3'
const KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes']

export async function createTestCertificates(dir: string): Promise<TestCertificates> {
  const path = (name: string): string => join(dir, name)
  await openssl([
    'req',
    '-x509',
    ...KEY,
    '-keyout',
    path('ca.key'),
    '-out',
    path('ca.pem'),
    '-days',
    DAYS,
    '-subj',
    '/CN=release-health test CA',
  ])
  const brokerNames = ['localhost', '127.0.0.1']
  await signed(dir, 'broker', '/CN=localhost', 'subjectAltName=DNS:localhost,IP:127.0.0.1')
  await signed(dir, 'client', '/CN=release-health-worker', 'extendedKeyUsage=clientAuth')
  writeFileSync(
    path('broker-keystore.pem'),
    readFileSync(path('broker.key'), 'utf8') + readFileSync(path('broker.pem'), 'utf8'),
  )
  return {
    caFile: path('ca.pem'),
    brokerKeyStoreFile: path('broker-keystore.pem'),
    clientCertFile: path('client.pem'),
    clientKeyFile: path('client.key'),
    brokerNames,
  }
}

/** A key and a certificate `<name>.pem` signed by the CA in `dir`. */
async function signed(dir: string, name: string, subject: string, extension: string) {
  const path = (file: string): string => join(dir, file)
  await openssl([
    'req',
    ...KEY,
    '-keyout',
    path(`${name}.key`),
    '-out',
    path(`${name}.csr`),
    '-subj',
    subject,
  ])
  writeFileSync(path(`${name}.ext`), `${extension}\n`)
  await openssl([
    'x509',
    '-req',
    '-in',
    path(`${name}.csr`),
    '-CA',
    path('ca.pem'),
    '-CAkey',
    path('ca.key'),
    '-CAcreateserial',
    '-out',
    path(`${name}.pem`),
    '-days',
    DAYS,
    '-extfile',
    path(`${name}.ext`),
  ])
}

async function openssl(args: readonly string[]): Promise<void> {
  try {
    await execFileAsync('openssl', args)
  } catch (error) {
    throw new Error(`openssl ${args[0]} failed (needs openssl on the PATH): ${String(error)}`, {
      cause: error,
    })
  }
}
