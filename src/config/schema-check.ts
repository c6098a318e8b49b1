// Schema validation with Ajv and the translation of Ajv's errors into problems people can act on:
// one message per mistake, in the YAML's own words, with the expectation and what was found.
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv'
import { configSchema, EXPECT, type Role } from './schema.ts'
import { closest } from './suggest.ts'
import { displayPath, pointerSegments, type Locator } from './locate.ts'
import type { ConfigProblem } from './errors.ts'

const validators = new Map<Role, ValidateFunction>()

function validatorFor (role: Role): ValidateFunction {
  let v = validators.get(role)
  if (v == null) {
    // allErrors: report everything in one run; useDefaults: the schema's defaults fill in
    // what the file leaves out; verbose: errors carry their schema and data for messages.
    const ajv = new Ajv({ allErrors: true, useDefaults: true, verbose: true, strict: true })
    ajv.addKeyword({ keyword: EXPECT, schemaType: 'string' })
    v = ajv.compile(configSchema(role))
    validators.set(role, v)
  }
  return v
}

/**
 * Validate `data` (mutated: defaults filled in) against the schema of `role`. Returns problems,
 * empty when valid.
 */
export function checkSchema (role: Role, data: unknown, file: string, locator: Locator): ConfigProblem[] {
  const validate = validatorFor(role)
  if (validate(data)) return []
  const errors = validate.errors ?? []
  const problems: ConfigProblem[] = []
  const seen = new Set<string>()
  const chosen = chooseUnionBranches(errors)
  for (const e of chosen) {
    if (isInsideUnion(e, chosen)) continue
    const p = toProblem(e, data, file, locator)
    const id = `${p.path}\0${p.message}`
    if (seen.has(id)) continue
    seen.add(id)
    problems.push(p)
  }
  return problems
}

/**
 * A failed anyOf (`forward: "url" | [...] | { upstreams, ... }`) reports its own error plus every
 * branch's. When the value has the type of exactly one branch (a mapping where only one branch is
 * a mapping), that branch is what the author meant: keep its errors ("balance: must be one of
 * ...") and drop the union's generic one. Otherwise keep only the union's.
 */
function chooseUnionBranches (errors: ErrorObject[]): ErrorObject[] {
  let out = errors
  for (const u of errors) {
    // Only for mappings: a scalar that fits no branch reads best as the union's own expectation
    // ("a duration such as ...") rather than as one branch's pattern.
    if (u.keyword !== 'anyOf' || u.data == null || typeof u.data !== 'object' || Array.isArray(u.data)) continue
    const branches = ((u.schema ?? []) as unknown[]).length
    const fitting: number[] = []
    for (let i = 0; i < branches; i++) {
      const prefix = `${u.schemaPath}/${i}/`
      const typeMiss = errors.some(e => e.schemaPath.startsWith(prefix) && e.instancePath === u.instancePath && (e.keyword === 'type' || e.keyword === 'const'))
      if (!typeMiss) fitting.push(i)
    }
    if (fitting.length !== 1) continue
    const keep = `${u.schemaPath}/${fitting[0]}/`
    out = out.filter(e => e !== u && (!e.schemaPath.startsWith(u.schemaPath + '/') || e.schemaPath.startsWith(keep)))
  }
  return out
}

// A failed anyOf reports the union's own error plus one per branch; the branches only repeat it.
function isInsideUnion (e: ErrorObject, all: ErrorObject[]): boolean {
  return all.some(u => u !== e && u.keyword === 'anyOf' && u.instancePath === e.instancePath && e.schemaPath.startsWith(u.schemaPath + '/'))
}

function toProblem (e: ErrorObject, data: unknown, file: string, locator: Locator): ConfigProblem {
  const segments = pointerSegments(e.instancePath)
  const parent = (e.parentSchema ?? {}) as Record<string, unknown>
  const expect = parent[EXPECT] as string | undefined
  let at = segments
  let useKey = false
  let message: string
  switch (e.keyword) {
    case 'additionalProperties': {
      const key = String((e.params as { additionalProperty: string }).additionalProperty)
      at = [...segments, key]
      useKey = true
      const known = Object.keys((parent.properties ?? {}) as object)
      const guess = closest(key, known)
      message = guess != null
        ? `unknown key "${key}"; did you mean "${guess}"?`
        : `unknown key "${key}"; known keys: ${known.join(', ')}`
      break
    }
    case 'required':
      message = `missing required key "${(e.params as { missingProperty: string }).missingProperty}"`
      break
    case 'enum': {
      const allowed = (e.params as { allowedValues: unknown[] }).allowedValues.map(String)
      const guess = typeof e.data === 'string' ? closest(e.data, allowed) : undefined
      message = `must be one of ${allowed.join(', ')}, got ${describe(e.data)}${guess != null ? `; did you mean "${guess}"?` : ''}`
      break
    }
    case 'const':
      message = `must be ${JSON.stringify((e.params as { allowedValue: unknown }).allowedValue)}, got ${describe(e.data)}`
      break
    case 'type': {
      const choices = parent.enum as unknown[] | undefined
      const wanted = expect ?? (choices != null ? `one of ${choices.join(', ')}` : typePhrase(String((e.params as { type: string }).type)))
      message = `must be ${wanted}, got ${describe(e.data)}`
      break
    }
    case 'minimum':
      message = expect != null ? `must be ${expect}, got ${describe(e.data)}` : `must be at least ${String((e.params as { limit: number }).limit)}, got ${describe(e.data)}`
      break
    case 'minItems': {
      const n = (e.params as { limit: number }).limit
      message = `must list at least ${n} item${n === 1 ? '' : 's'}`
      break
    }
    case 'minLength':
      message = 'must not be empty'
      break
    default:
      message = expect != null ? `must be ${expect}, got ${describe(e.data)}` : `${e.message ?? 'is invalid'}, got ${describe(e.data)}`
  }
  const pos = useKey ? locator.key(at) : locator.value(at)
  return { file, line: pos.line, col: pos.col, path: displayPath(at, data), message }
}

function typePhrase (type: string): string {
  switch (type) {
    case 'object': return 'a mapping of keys'
    case 'array': return 'a list'
    case 'string': return 'a string'
    case 'integer': return 'a whole number'
    case 'number': return 'a number'
    case 'boolean': return 'true or false'
    default: return type
  }
}

/** What a value is, for "got ..." in messages; long strings are cut. */
export function describe (value: unknown): string {
  if (value === null || value === undefined) return 'nothing (null)'
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? value.slice(0, 57) + '...' : value)
  if (Array.isArray(value)) return 'a list'
  if (typeof value === 'object') return 'a mapping'
  return String(value)
}
