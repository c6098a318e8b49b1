// Untrusted values in error messages. String(value) throws on an object whose toString is not a
// function, and JSON.parse makes such objects from '{"toString": {}}'; a decoder that meant to
// return a coded error would throw a TypeError instead. showValue never throws and stays short.

/** A short rendering of any value for "got ..." in an error message; never throws. */
export function showValue (value: unknown, max = 80): string {
  let text: string
  switch (typeof value) {
    case 'string': text = JSON.stringify(value); break
    case 'number': case 'boolean': case 'bigint': case 'undefined': text = String(value); break
    case 'symbol': text = 'a symbol'; break
    case 'function': text = 'a function'; break
    default:
      try {
        text = JSON.stringify(value) ?? typeof value
      } catch {
        text = Array.isArray(value) ? 'an array' : 'an object'
      }
  }
  return text.length > max ? text.slice(0, max - 3) + '...' : text
}
