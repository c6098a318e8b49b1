// Every error registry (src/**/errors.ts, found at test time so new areas are covered without
// editing this file): codes are unique, each export is named after its code, each code is
// documented in docs/errors.md and every documented code still exists.
import t from 'tap'
import { globSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { GatewayError } from '../../../src/core/errors.ts'

const root = resolve(import.meta.dirname, '../../..')
const files = globSync('src/**/errors.ts', { cwd: root }).sort()
const CODE = /^[A-Z][A-Z0-9]*_ERR_[A-Z0-9_]+$/

interface Found { code: string, name: string, file: string }

async function registries (): Promise<Found[]> {
  const found: Found[] = []
  for (const file of files) {
    const mod = await import(pathToFileURL(join(root, file)).href) as Record<string, unknown>
    for (const [name, value] of Object.entries(mod)) {
      const code = typeof value === 'function' ? (value as { code?: unknown }).code : undefined
      if (typeof code === 'string' || CODE.test(name)) found.push({ code: String(code), name, file })
    }
  }
  return found
}

function documented (): Set<string> {
  const doc = readFileSync(join(root, 'docs/errors.md'), 'utf8')
  return new Set([...doc.matchAll(/^\|\s*`([A-Z][A-Z0-9]*_ERR_[A-Z0-9_]+)`\s*\|/gm)].map(m => m[1]))
}

const found = await registries()

t.test('the registries are found', async t => {
  t.ok(files.includes('src/tunnel/errors.ts') && files.includes('src/core/errors.ts'), `globbed: ${files.join(', ')}`)
  t.ok(found.some(f => f.file === 'src/tunnel/errors.ts'), 'codes are read from them')
})

t.test('each export is an error class named after its well-formed code', async t => {
  for (const { code, name, file } of found) {
    t.equal(name, code, `${file}: export ${name} has code ${code}`)
    t.match(code, CODE, `${code} reads <AREA>_ERR_<WHAT>`)
    const value = (await import(pathToFileURL(join(root, file)).href) as Record<string, { prototype?: unknown }>)[name]
    t.ok(value.prototype instanceof GatewayError, `${name} makes GatewayErrors`)
  }
})

t.test('codes are unique across all registries', async t => {
  const seen = new Map<string, string>()
  for (const { code, file } of found) {
    t.notOk(seen.has(code), `${code} in ${file}${seen.has(code) ? ` is already defined in ${seen.get(code)}` : ''}`)
    seen.set(code, file)
  }
})

t.test('every code is documented in docs/errors.md, and every documented code exists', async t => {
  const docs = documented()
  for (const { code, file } of found) t.ok(docs.has(code), `${code} (${file}) has a row in docs/errors.md`)
  const codes = new Set(found.map(f => f.code))
  for (const code of docs) t.ok(codes.has(code), `documented ${code} is defined in some src/**/errors.ts`)
})
