// The gateway's ACME state: one file per key under a directory, mode 0600, written to a temporary
// file, fsynced and renamed so a crash leaves the old value or the new one, never half of each.
// Synchronous because the manager reads state on every decision and the values are small.
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import type { AcmeStateStore } from './types.ts'
import { ACME_ERR_BAD_STATE_KEY } from './errors.ts'

const SEGMENT = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$/

/** Keys are "/"-separated paths of plain segments; anything else could escape the directory. */
function fileOf (dir: string, key: string): string {
  const segments = key.split('/')
  if (segments.length > 8 || !segments.every(s => SEGMENT.test(s) && s !== '..' && !s.endsWith('.tmp'))) {
    throw new ACME_ERR_BAD_STATE_KEY(JSON.stringify(key))
  }
  return join(dir, ...segments)
}

export function fileStateStore (dir: string): AcmeStateStore {
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  return {
    get (key) {
      try {
        return readFileSync(fileOf(dir, key), 'utf8')
      } catch (err) {
        if ((err as { code?: string }).code === 'ENOENT') return undefined
        throw err
      }
    },
    set (key, value) {
      const file = fileOf(dir, key)
      mkdirSync(join(file, '..'), { recursive: true, mode: 0o700 })
      const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`
      const fd = openSync(tmp, 'wx', 0o600)
      try {
        writeSync(fd, value)
        fsyncSync(fd)
      } finally {
        closeSync(fd)
      }
      try {
        renameSync(tmp, file)
      } catch (err) {
        rmSync(tmp, { force: true })
        throw err
      }
    },
    delete (key) {
      rmSync(fileOf(dir, key), { force: true })
    }
  }
}

/** An in-memory store, for tests and for callers that keep state elsewhere. */
export function memoryStateStore (): AcmeStateStore & { keys: () => string[] } {
  const map = new Map<string, string>()
  return {
    get: key => map.get(key),
    set: (key, value) => { map.set(key, value) },
    delete: key => { map.delete(key) },
    keys: () => [...map.keys()]
  }
}
