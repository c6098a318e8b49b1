import t from 'tap'
import { contentTypeOf } from '../../../../src/chain/actions/content-types.ts'

t.test('extension table', async t => {
  const table: Array<[string, string]> = [
    ['a.html', 'text/html; charset=utf-8'], ['a.css', 'text/css; charset=utf-8'],
    ['a.js', 'text/javascript; charset=utf-8'], ['a.mjs', 'text/javascript; charset=utf-8'],
    ['a.json', 'application/json'], ['a.svg', 'image/svg+xml'], ['a.png', 'image/png'],
    ['a.jpg', 'image/jpeg'], ['a.gif', 'image/gif'], ['a.webp', 'image/webp'], ['a.ico', 'image/x-icon'],
    ['a.txt', 'text/plain; charset=utf-8'], ['a.wasm', 'application/wasm'], ['a.woff2', 'font/woff2'],
    ['a.pdf', 'application/pdf'], ['A.HTML', 'text/html; charset=utf-8'], ['/d.x/noext', 'application/octet-stream'],
    ['a.exe', 'application/octet-stream'], ['a.constructor', 'application/octet-stream'], ['a.', 'application/octet-stream']
  ]
  for (const [name, type] of table) t.equal(contentTypeOf(name), type, name)
})
