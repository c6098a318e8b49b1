import t from 'tap'
import { mkdirSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { createLocalAction } from '../../../../src/chain/actions/local.ts'
import type { ConnFacts, HttpRequestFacts, LocalResponse } from '../../../../src/chain/types.ts'

const conn: ConnFacts = { stack: 's', localPort: 80, source: { address: '127.0.0.1', port: 4000 } }
function request (method: string, target: string, headers: Array<[string, string]> = []): HttpRequestFacts {
  const q = target.indexOf('?')
  return { method, target, path: q < 0 ? target : target.slice(0, q), query: q < 0 ? '' : target.slice(q + 1), host: 'h', version: 11, headers }
}
const hdr = (res: LocalResponse, name: string): string | undefined => res.headers.find(([k]) => k.toLowerCase() === name)?.[1]
async function bodyOf (res: LocalResponse): Promise<string> {
  if (res.body === undefined) return ''
  if (Buffer.isBuffer(res.body)) return res.body.toString()
  const parts: Buffer[] = []
  for await (const c of res.body) parts.push(c as Buffer)
  return Buffer.concat(parts).toString()
}

const root = t.testdir({
  www: {
    'index.html': '<h1>home</h1>',
    'style.css': 'body{}',
    'app.mjs': 'export {}',
    'data.bin': 'bytes',
    'UPPER.PNG': 'png',
    'empty.txt': '',
    'digits.txt': '0123456789',
    'a b.txt': 'space',
    sub: { 'index.htm': 'sub index', 'page.json': '{"ok":true}' },
    noindex: { 'file.txt': 'x' }
  },
  outside: { 'secret.txt': 'secret' }
})
const www = join(root, 'www')
symlinkSync(join(root, 'outside', 'secret.txt'), join(www, 'escape.txt'))
symlinkSync(join(root, 'outside'), join(www, 'escapedir'))
symlinkSync(join(www, 'style.css'), join(www, 'alias.css')) // inside: allowed
mkdirSync(join(www, 'linkindex'))
symlinkSync(join(root, 'outside', 'secret.txt'), join(www, 'linkindex', 'index.html'))
writeFileSync(join(root, 'outside', 'index.html'), 'outside index')
const mtime = new Date('2024-01-02T03:04:05Z')
utimesSync(join(www, 'digits.txt'), mtime, mtime)

const serve = createLocalAction({ kind: 'serve', dir: www, index: ['index.html', 'index.htm'] })
const get = async (target: string, headers: Array<[string, string]> = []): Promise<LocalResponse> => await serve(request('GET', target, headers), conn)

t.test('files, types and headers', async t => {
  const table: Array<[string, string, string]> = [
    ['/style.css', 'text/css; charset=utf-8', 'body{}'],
    ['/app.mjs', 'text/javascript; charset=utf-8', 'export {}'],
    ['/data.bin', 'application/octet-stream', 'bytes'],
    ['/UPPER.PNG', 'image/png', 'png'],
    ['/sub/page.json', 'application/json', '{"ok":true}'],
    ['/a%20b.txt', 'text/plain; charset=utf-8', 'space'],
    ['/alias.css', 'text/css; charset=utf-8', 'body{}'],
    ['/style.css?v=3', 'text/css; charset=utf-8', 'body{}']
  ]
  for (const [path, type, body] of table) {
    const res = await get(path)
    t.equal(res.status, 200, path)
    t.equal(hdr(res, 'content-type'), type, path)
    t.equal(hdr(res, 'content-length'), String(body.length), path)
    t.equal(res.length, body.length)
    t.ok(res.body instanceof Readable, 'a stream body')
    t.equal(await bodyOf(res), body, path)
  }
  const res = await get('/digits.txt')
  t.equal(hdr(res, 'last-modified'), 'Tue, 02 Jan 2024 03:04:05 GMT')
  t.match(hdr(res, 'etag'), /^W\/"a-[0-9a-f]+"$/)
  t.equal(hdr(res, 'accept-ranges'), 'bytes')
  t.equal(hdr(res, 'x-content-type-options'), 'nosniff')
  await bodyOf(res)

  const empty = await get('/empty.txt')
  t.equal(empty.status, 200)
  t.equal(empty.body, undefined)
  t.equal(hdr(empty, 'content-length'), '0')
})

t.test('directories and index files', async t => {
  const home = await get('/')
  t.equal(home.status, 200)
  t.equal(hdr(home, 'content-type'), 'text/html; charset=utf-8')
  t.equal(await bodyOf(home), '<h1>home</h1>')
  const sub = await get('/sub/')
  t.equal(await bodyOf(sub), 'sub index', 'second index name')
  const noSlash = await get('/sub?x=1')
  t.equal(noSlash.status, 301, 'a directory without the slash is redirected')
  t.equal(hdr(noSlash, 'location'), '/sub/?x=1')
  t.equal((await get('/noindex/')).status, 404, 'no index: 404, no listing')
  t.equal((await get('/missing.txt')).status, 404)
  t.equal((await get('/style.css/x')).status, 404, 'a file used as a directory')
  const noIndex = createLocalAction({ kind: 'serve', dir: www, index: [] })
  t.equal((await noIndex(request('GET', '/'), conn)).status, 404)
  const gone = createLocalAction({ kind: 'serve', dir: join(root, 'nope'), index: [] })
  t.equal((await gone(request('GET', '/x'), conn)).status, 404, 'a missing dir: 404')
})

t.test('traversal attempts never leave the directory', async t => {
  const table: Array<[string, number]> = [
    ['/../etc/passwd', 400],
    ['/../outside/secret.txt', 400],
    ['/sub/../../outside/secret.txt', 400],
    ['/%2e%2e/outside/secret.txt', 400],
    ['/%2E%2E/%2e%2e/etc/passwd', 400],
    ['/sub/%2e%2e/style.css', 400],
    ['/./style.css', 400],
    ['/a%2fb', 400],
    ['/sub%2Fpage.json', 400],
    ['/..%5c..%5cetc', 400],
    ['/style.css%00.png', 400],
    ['/%00', 400],
    ['//etc/passwd', 400],
    ['/%', 400],
    ['/%zz', 400],
    ['*', 400],
    ['http://evil/etc/passwd', 400],
    ['/escape.txt', 404],
    ['/escapedir/secret.txt', 404],
    ['/escapedir/', 404],
    ['/linkindex/', 404]
  ]
  for (const [path, status] of table) {
    const res = await get(path)
    t.equal(res.status, status, path)
    const body = await bodyOf(res)
    t.notMatch(body, /secret|outside index/, path)
  }
})

t.test('methods', async t => {
  for (const m of ['POST', 'PUT', 'DELETE', 'OPTIONS']) {
    const res = await serve(request(m, '/style.css'), conn)
    t.equal(res.status, 405, m)
    t.equal(hdr(res, 'allow'), 'GET, HEAD')
  }
  const h = await serve(request('HEAD', '/digits.txt'), conn)
  t.equal(h.status, 200)
  t.equal(h.body, undefined, 'HEAD: headers only')
  t.equal(hdr(h, 'content-length'), '10')
  t.equal(hdr(h, 'content-type'), 'text/plain; charset=utf-8')
})

t.test('conditional requests', async t => {
  const first = await get('/digits.txt')
  await bodyOf(first)
  const etag = hdr(first, 'etag') as string
  const lm = hdr(first, 'last-modified') as string
  const table: Array<[Array<[string, string]>, number, string]> = [
    [[['if-none-match', etag]], 304, 'same etag'],
    [[['if-none-match', etag.slice(2)]], 304, 'strong form of the same tag (weak comparison)'],
    [[['if-none-match', `"x", ${etag}`]], 304, 'in a list'],
    [[['if-none-match', '*']], 304, 'star'],
    [[['if-none-match', '"other"']], 200, 'other etag'],
    [[['if-none-match', '"other"'], ['if-modified-since', lm]], 200, 'If-None-Match wins over If-Modified-Since'],
    [[['if-modified-since', lm]], 304, 'same date'],
    [[['if-modified-since', 'Wed, 01 Jan 2025 00:00:00 GMT']], 304, 'later date'],
    [[['if-modified-since', 'Mon, 01 Jan 2024 00:00:00 GMT']], 200, 'earlier date'],
    [[['if-modified-since', 'garbage']], 200, 'bad date ignored']
  ]
  for (const [headers, status, why] of table) {
    const res = await get('/digits.txt', headers)
    t.equal(res.status, status, why)
    if (status === 304) {
      t.equal(res.body, undefined, why)
      t.equal(hdr(res, 'etag'), etag)
      t.equal(hdr(res, 'content-length'), undefined)
    }
    await bodyOf(res)
  }
  const h = await serve(request('HEAD', '/digits.txt', [['if-none-match', etag]]), conn)
  t.equal(h.status, 304)
})

t.test('ranges', async t => {
  const table: Array<[string, number, string, string?]> = [
    ['bytes=0-3', 206, '0123', 'bytes 0-3/10'],
    ['bytes=2-', 206, '23456789', 'bytes 2-9/10'],
    ['bytes=-3', 206, '789', 'bytes 7-9/10'],
    ['bytes=-30', 206, '0123456789', 'bytes 0-9/10'],
    ['bytes=5-100', 206, '56789', 'bytes 5-9/10'],
    ['bytes=9-9', 206, '9', 'bytes 9-9/10'],
    ['bytes=10-', 416, '', 'bytes */10'],
    ['bytes=-0', 416, '', 'bytes */10'],
    ['bytes=5-2', 200, '0123456789'],
    ['bytes=0-1,3-4', 200, '0123456789'],
    ['items=0-1', 200, '0123456789'],
    ['bytes=x-1', 200, '0123456789']
  ]
  for (const [range, status, body, contentRange] of table) {
    const res = await get('/digits.txt', [['range', range]])
    t.equal(res.status, status, range)
    t.equal(hdr(res, 'content-range'), contentRange, range)
    if (status !== 416) {
      t.equal(await bodyOf(res), body, range)
      t.equal(hdr(res, 'content-length'), String(body.length), range)
    } else {
      await bodyOf(res)
    }
  }
  const lm = hdr(await get('/digits.txt'), 'last-modified') as string
  const kept = await get('/digits.txt', [['range', 'bytes=0-0'], ['if-range', lm]])
  t.equal(kept.status, 206, 'If-Range with the Last-Modified date keeps the range')
  t.equal(await bodyOf(kept), '0')
  const stale = await get('/digits.txt', [['range', 'bytes=0-0'], ['if-range', 'Mon, 01 Jan 2024 00:00:00 GMT']])
  t.equal(stale.status, 200, 'If-Range with another date: the whole file')
  await bodyOf(stale)
  const weak = await get('/digits.txt', [['range', 'bytes=0-0'], ['if-range', hdr(kept, 'etag') as string]])
  t.equal(weak.status, 200, 'a weak ETag never satisfies If-Range')
  await bodyOf(weak)
  const h = await serve(request('HEAD', '/digits.txt', [['range', 'bytes=1-2']]), conn)
  t.equal(h.status, 206)
  t.equal(h.body, undefined)
  t.equal(hdr(h, 'content-length'), '2')
  t.equal((await get('/empty.txt', [['range', 'bytes=0-']])).status, 416, 'no byte of an empty file')
})

t.test('config errors', async t => {
  t.throws(() => createLocalAction({ kind: 'serve', dir: 'relative/dir', index: [] }), { code: 'CHAIN_ERR_BAD_SERVE_SPEC' })
  for (const name of ['', '..', 'a/b', '.']) {
    t.throws(() => createLocalAction({ kind: 'serve', dir: www, index: [name] }), { code: 'CHAIN_ERR_BAD_SERVE_SPEC' }, name)
  }
})

t.test('a dir that is a file serves nothing', async t => {
  const fileDir = createLocalAction({ kind: 'serve', dir: join(www, 'style.css'), index: ['index.html'] })
  t.equal((await fileDir(request('GET', '/'), conn)).status, 404)
})
