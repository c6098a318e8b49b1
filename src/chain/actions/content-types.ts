// The media types `serve` knows, by lower-case extension. Deliberately small: anything else is
// application/octet-stream, which browsers download rather than render (with nosniff set).
const TYPES: Readonly<Record<string, string>> = Object.freeze({
  html: 'text/html; charset=utf-8',
  htm: 'text/html; charset=utf-8',
  css: 'text/css; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  mjs: 'text/javascript; charset=utf-8',
  json: 'application/json',
  svg: 'image/svg+xml',
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  ico: 'image/x-icon',
  txt: 'text/plain; charset=utf-8',
  wasm: 'application/wasm',
  woff2: 'font/woff2',
  pdf: 'application/pdf'
})

export const DEFAULT_CONTENT_TYPE = 'application/octet-stream'

export function contentTypeOf (fileName: string): string {
  const dot = fileName.lastIndexOf('.')
  if (dot < 0) return DEFAULT_CONTENT_TYPE
  const ext = fileName.slice(dot + 1).toLowerCase()
  return Object.hasOwn(TYPES, ext) ? TYPES[ext] : DEFAULT_CONTENT_TYPE
}
