// `serve`: files from one directory, like a careful small static server. The request path is
// checked lexically (serve-path.ts), then the file's realpath must still lie inside the directory's
// realpath, so a symlink can never lead out. No listings; directories answer with their first
// index file. Validators (weak ETag from size+mtime, Last-Modified) allow 304s; one byte range
// allows resuming downloads.
import { constants, type Stats } from 'node:fs'
import { open, realpath, stat, type FileHandle } from 'node:fs/promises'
import { isAbsolute, join, resolve, sep } from 'node:path'
import type { ConnFacts, HttpRequestFacts, LocalResponse, ProcessSpec } from '../types.ts'
import { bufferedAnswer, textAnswer } from './answer.ts'
import { parseByteRange } from './byte-range.ts'
import { contentTypeOf } from './content-types.ts'
import { resolveServePath } from './serve-path.ts'
import { CHAIN_ERR_BAD_SERVE_SPEC } from './errors.ts'

type ServeSpec = Extract<ProcessSpec, { kind: 'serve' }>

export function createServe (spec: ServeSpec): (req: HttpRequestFacts, conn: ConnFacts) => Promise<LocalResponse> {
  if (typeof spec.dir !== 'string' || !isAbsolute(spec.dir) || spec.dir.includes('\0')) {
    throw new CHAIN_ERR_BAD_SERVE_SPEC(`dir ${JSON.stringify(spec.dir)} must be an absolute path`)
  }
  for (const name of spec.index) {
    if (name === '' || name === '.' || name === '..' || /[/\\\0]/.test(name)) {
      throw new CHAIN_ERR_BAD_SERVE_SPEC(`index ${JSON.stringify(name)} must be a plain file name`)
    }
  }
  const dir = resolve(spec.dir)
  const index = [...spec.index]

  return async (req) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return textAnswer(req, 405, [['allow', 'GET, HEAD']])
    const p = resolveServePath(req.path)
    if (!p.ok) return textAnswer(req, p.status)
    try {
      // The directory's own realpath each time: it may be replaced (a deploy swapping a symlink).
      const root = await realpath(dir)
      const real = await realpathInside(root, join(root, ...p.segments))
      if (real === undefined) return textAnswer(req, 404)
      const st = await stat(real)
      // A `dir` that is not a directory serves nothing (not the file itself at "/").
      if (real === root && !st.isDirectory()) return textAnswer(req, 404)
      let file: string | undefined
      if (st.isFile()) {
        file = real
      } else if (st.isDirectory()) {
        // "/docs" → "/docs/", so that relative links inside its index resolve below it.
        if (!p.trailingSlash && p.segments.length > 0) return redirectToSlash(req)
        file = await findIndex(root, real, index)
      }
      if (file === undefined) return textAnswer(req, 404)
      return await sendFile(req, file)
    } catch (err) {
      return textAnswer(req, statusOf(err))
    }
  }
}

function inside (root: string, real: string): boolean {
  return real === root || real.startsWith(root.endsWith(sep) ? root : root + sep)
}

async function realpathInside (root: string, path: string): Promise<string | undefined> {
  const real = await realpath(path)
  return inside(root, real) ? real : undefined
}

async function findIndex (root: string, dir: string, names: readonly string[]): Promise<string | undefined> {
  for (const name of names) {
    try {
      const real = await realpathInside(root, join(dir, name))
      if (real !== undefined && (await stat(real)).isFile()) return real
    } catch (err) {
      if (statusOf(err) !== 404) throw err
    }
  }
  return undefined
}

function redirectToSlash (req: HttpRequestFacts): LocalResponse {
  const location = req.path + '/' + (req.query === '' ? '' : `?${req.query}`)
  return bufferedAnswer(req, 301, [['location', location], ['content-type', 'text/plain; charset=utf-8']], Buffer.from(`Moved to ${location}\n`))
}

function statusOf (err: unknown): 403 | 404 | 500 {
  const code = (err as { code?: unknown } | null)?.code
  if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'ELOOP' || code === 'ENAMETOOLONG') return 404
  if (code === 'EACCES' || code === 'EPERM') return 403
  return 500
}

function header (req: HttpRequestFacts, name: string): string | undefined {
  for (const [k, v] of req.headers) if (k === name) return v
  return undefined
}

async function sendFile (req: HttpRequestFacts, path: string): Promise<LocalResponse> {
  // O_NOFOLLOW: the final component was resolved above; refuse if it became a symlink since.
  const fh = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW)
  let handedOff = false
  try {
    const st = await fh.stat()
    if (!st.isFile()) return textAnswer(req, 404)
    const res = answerFor(req, path, st, fh)
    handedOff = res.body !== undefined
    return res
  } finally {
    if (!handedOff) await fh.close()
  }
}

function answerFor (req: HttpRequestFacts, path: string, st: Stats, fh: FileHandle): LocalResponse {
  const etag = `W/"${st.size.toString(16)}-${Math.floor(st.mtimeMs).toString(16)}"`
  const lastModified = st.mtime.toUTCString()
  const validators: Array<[string, string]> = [['etag', etag], ['last-modified', lastModified]]
  if (notModified(req, etag, st.mtimeMs)) return { status: 304, headers: validators }

  const headers: Array<[string, string]> = [
    ['content-type', contentTypeOf(path)],
    ...validators,
    ['accept-ranges', 'bytes'],
    ['x-content-type-options', 'nosniff']
  ]
  const range = rangeApplies(req, lastModified) ? parseByteRange(header(req, 'range'), st.size) : { kind: 'full' as const }
  if (range.kind === 'unsatisfiable') return textAnswer(req, 416, [['content-range', `bytes */${st.size}`]])
  let status = 200
  let start = 0
  let length = st.size
  if (range.kind === 'partial') {
    status = 206
    start = range.start
    length = range.end - range.start + 1
    headers.push(['content-range', `bytes ${range.start}-${range.end}/${st.size}`])
  }
  headers.push(['content-length', String(length)])
  if (req.method === 'HEAD' || length === 0) return { status, headers, length }
  // autoClose: the stream closes the handle when it ends or is destroyed.
  const body = fh.createReadStream({ start, end: start + length - 1, autoClose: true })
  return { status, headers, body, length }
}

/** RFC 9110 13.2.2: If-None-Match wins over If-Modified-Since; weak comparison for GET/HEAD. */
function notModified (req: HttpRequestFacts, etag: string, mtimeMs: number): boolean {
  const inm = header(req, 'if-none-match')
  if (inm !== undefined) {
    if (inm.trim() === '*') return true
    const opaque = etag.slice(2)
    return inm.split(',').some(tag => {
      const t = tag.trim()
      return (t.startsWith('W/') ? t.slice(2) : t) === opaque
    })
  }
  const ims = header(req, 'if-modified-since')
  if (ims === undefined) return false
  const since = Date.parse(ims)
  if (Number.isNaN(since)) return false
  return Math.floor(mtimeMs / 1000) <= Math.floor(since / 1000)
}

/** If-Range: our ETags are weak, so only an exact Last-Modified date keeps the range. */
function rangeApplies (req: HttpRequestFacts, lastModified: string): boolean {
  const ifRange = header(req, 'if-range')
  if (ifRange === undefined) return true
  return ifRange.trim() === lastModified
}
