// setByJsonPath: replace one member inside a JSON value. Two spellings are accepted:
//   JSONPath subset  "$", "$.a.b", "$.a[0]", "$['odd key'][2]"
//   JSON Pointer     "", "/a/b/0" (RFC 6901, "~0" = "~", "~1" = "/", "-" = append to an array)
// Missing objects along the way are created (an array when the next step is a [n] index);
// an array index may be at most the array's length (== length appends).
import { SYSCFG_ERR_BAD_JSON_PATH, SYSCFG_ERR_BAD_VALUE, SYSCFG_ERR_NOT_JSON } from '../errors.ts'
import { showValue } from '../../core/show-value.ts'

type Step = { kind: 'name', name: string } | { kind: 'index', index: number } | { kind: 'append' }

const MAX_STEPS = 64
const NAME = /^[A-Za-z_$][A-Za-z0-9_$-]*/

export function parseJsonPath (path: string): Step[] {
  if (typeof path !== 'string') throw new SYSCFG_ERR_BAD_JSON_PATH(showValue(path), 'not a string')
  const steps = path.startsWith('$') ? parseDollar(path) : parsePointer(path)
  if (steps.length > MAX_STEPS) throw new SYSCFG_ERR_BAD_JSON_PATH(path, `more than ${MAX_STEPS} steps`)
  return steps
}

function parsePointer (path: string): Step[] {
  if (path === '') return []
  if (!path.startsWith('/')) throw new SYSCFG_ERR_BAD_JSON_PATH(path, 'must start with "$" or "/"')
  return path.slice(1).split('/').map(raw => {
    if (/~[^01]|~$/.test(raw)) throw new SYSCFG_ERR_BAD_JSON_PATH(path, `bad escape in "${raw}"`)
    const name = raw.replaceAll('~1', '/').replaceAll('~0', '~')
    if (name === '-') return { kind: 'append' }
    if (/^(0|[1-9][0-9]{0,8})$/.test(name)) return { kind: 'index', index: Number(name) }
    return { kind: 'name', name }
  })
}

function parseDollar (path: string): Step[] {
  const steps: Step[] = []
  let i = 1
  while (i < path.length) {
    if (path[i] === '.') {
      const m = NAME.exec(path.slice(i + 1))
      if (m === null) throw new SYSCFG_ERR_BAD_JSON_PATH(path, `expected a name at offset ${i + 1}`)
      steps.push({ kind: 'name', name: m[0] })
      i += 1 + m[0].length
    } else if (path[i] === '[') {
      const rest = path.slice(i)
      const index = /^\[(0|[1-9][0-9]{0,8})\]/.exec(rest)
      const quoted = /^\[(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)")\]/.exec(rest)
      if (index !== null) {
        steps.push({ kind: 'index', index: Number(index[1]) })
        i += index[0].length
      } else if (quoted !== null) {
        steps.push({ kind: 'name', name: (quoted[1] ?? quoted[2]).replace(/\\(.)/g, '$1') })
        i += quoted[0].length
      } else {
        throw new SYSCFG_ERR_BAD_JSON_PATH(path, `bad bracket at offset ${i}`)
      }
    } else {
      throw new SYSCFG_ERR_BAD_JSON_PATH(path, `unexpected "${path[i]}" at offset ${i}`)
    }
  }
  return steps
}

/**
 * The new JSON text of `key` after setting `value` at `path`. `current` is the stored text
 * (undefined when the key is absent: the document starts empty).
 */
export function applyJsonPath (key: string, current: string | undefined, path: string, value: unknown): string {
  const steps = parseJsonPath(path)
  let inserted: unknown
  try {
    const text = JSON.stringify(value)
    if (text === undefined) throw new TypeError('not representable in JSON')
    inserted = JSON.parse(text)
  } catch (err) {
    throw new SYSCFG_ERR_BAD_VALUE(`cannot encode as JSON: ${(err as Error).message}`, { cause: err })
  }
  let doc: unknown
  if (current !== undefined) {
    try {
      doc = JSON.parse(current)
    } catch (err) {
      throw new SYSCFG_ERR_NOT_JSON(key, { cause: err })
    }
  }
  if (steps.length === 0) return JSON.stringify(inserted)
  const root = doc ?? containerFor(steps[0])
  let node: unknown = root
  for (let n = 0; n < steps.length; n++) {
    const step = steps[n]
    const last = n === steps.length - 1
    const child = last ? inserted : undefined
    node = descend(path, node, step, child, last ? undefined : steps[n + 1])
  }
  return JSON.stringify(root)
}

function containerFor (next: Step): unknown {
  return next.kind === 'name' ? {} : []
}

/** Steps into `node` by `step`; on the last step stores `value`. Returns the child. */
function descend (path: string, node: unknown, step: Step, value: unknown, next: Step | undefined): unknown {
  if (Array.isArray(node)) {
    if (step.kind === 'name') throw new SYSCFG_ERR_BAD_JSON_PATH(path, `"${step.name}" names a member of an array`)
    const index = step.kind === 'append' ? node.length : step.index
    if (index > node.length) throw new SYSCFG_ERR_BAD_JSON_PATH(path, `index ${index} is past the end (length ${node.length})`)
    if (next === undefined) {
      node[index] = value
      return value
    }
    if (node[index] == null) node[index] = containerFor(next)
    return node[index]
  }
  if (node !== null && typeof node === 'object') {
    if (step.kind === 'append') throw new SYSCFG_ERR_BAD_JSON_PATH(path, '"-" applies to an array')
    const name = step.kind === 'name' ? step.name : String(step.index)
    const obj = node as Record<string, unknown>
    if (next === undefined) {
      // defineProperty: "__proto__" is an ordinary member here, as JSON.parse makes it.
      Object.defineProperty(obj, name, { value, enumerable: true, writable: true, configurable: true })
      return value
    }
    if (!Object.hasOwn(obj, name) || obj[name] === null) {
      Object.defineProperty(obj, name, { value: containerFor(next), enumerable: true, writable: true, configurable: true })
    }
    return obj[name]
  }
  throw new SYSCFG_ERR_BAD_JSON_PATH(path, 'steps into a string, number, boolean or null')
}
