// Config loading: read → parse YAML (keeping positions) → pick the role → schema (Ajv, defaults
// filled in) → cross-references → normalise and freeze. Every problem is collected with its
// file:line:col and reported at once in one CFG_ERR_INVALID.
import { readFile } from 'node:fs/promises'
import { parseDocument, LineCounter, type YAMLError } from 'yaml'
import type { AnyConfig } from './types.ts'
import { CFG_ERR_INVALID, CFG_ERR_READ, type ConfigProblem } from './errors.ts'
import { createLocator, displayPath, type Locator } from './locate.ts'
import { checkSchema, describe } from './schema-check.ts'
import { crossCheck } from './cross-check.ts'
import { normalizeConfig } from './normalize.ts'
import { ROLES, type Role } from './schema.ts'
import { loadDeviceKey } from '../identity/key-file.ts'
import { checkChainFiles } from './chain-files.ts'
import { checkCompiles } from './chain-compile-check.ts'

export interface ConfigCheck {
  problems: ConfigProblem[]
  /** Present when there are no problems. */
  config?: AnyConfig
  /** Positions in the file, for problems found after loading (key files). */
  locator?: Locator
}

export interface ValidateOptions {
  /** The subcommand's role; when given the file's own `role`, if any, must agree. */
  role?: Role
  /** Also check that the files the config names (device.key) exist and hold valid keys. */
  checkFiles?: boolean
}

// Anchors and aliases are allowed, but a small file must not expand into a huge one.
const MAX_ALIAS_COUNT = 100

/** Check YAML text; never throws for anything the text contains. `file` names it in problems. */
export function checkConfigText (text: string, file: string, role?: Role): ConfigCheck {
  const problems: ConfigProblem[] = []
  const lineCounter = new LineCounter()
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true })
  const fromYaml = (e: YAMLError): ConfigProblem => {
    const pos = lineCounter.linePos(e.pos[0])
    return { file, line: pos.line, col: pos.col, path: '', message: `YAML: ${e.message}` }
  }
  problems.push(...doc.errors.map(fromYaml), ...doc.warnings.map(fromYaml))
  if (doc.errors.length > 0) return { problems }
  const locator = createLocator(doc, lineCounter)
  const at = (segments: readonly string[], message: string, where: 'key' | 'value' = 'value'): void => {
    const pos = where === 'key' ? locator.key(segments) : locator.value(segments)
    problems.push({ file, line: pos.line, col: pos.col, path: displayPath(segments, data), message })
  }
  let data: unknown
  try {
    data = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT })
  } catch (err) {
    at([], `YAML: ${(err as Error).message}`)
    return { problems }
  }
  if (data == null) {
    at([], `the file is empty; expected a mapping with ${role == null ? 'role, ' : ''}device and rtcp keys`)
    return { problems }
  }
  const chosen = chooseRole(data, role, at)
  if (chosen == null) return { problems, locator }
  problems.push(...checkSchema(chosen, data, file, locator).filter(p => !(role != null && p.path === 'role')))
  crossCheck(data, at, chosen)
  if (problems.length > 0) return { problems: byPosition(problems), locator }
  const config = normalizeConfig(data, chosen, file, locator)
  const late = checkCompiles(config, file)
  if (late.length > 0) return { problems: byPosition(late), locator }
  return { problems, config, locator }
}

function byPosition (problems: ConfigProblem[]): ConfigProblem[] {
  return problems.sort((a, b) => a.line - b.line || a.col - b.col)
}

/** The role from the subcommand or the file; reports when they disagree or neither says. */
function chooseRole (data: unknown, given: Role | undefined, at: (s: string[], m: string) => void): Role | undefined {
  const own = data != null && typeof data === 'object' && !Array.isArray(data) ? (data as Record<string, unknown>).role : undefined
  const known = (ROLES as readonly unknown[]).includes(own)
  if (given != null) {
    if (own !== undefined && own !== given) {
      at(['role'], known
        ? `this is a ${String(own)} config; run it with "zonegate ${String(own)}", not "zonegate ${given}"`
        : `must be "${given}" (or left out), got ${describe(own)}`)
    }
    return given
  }
  if (own === undefined) {
    // Not an object at all: let the schema say so, against either role's shape.
    if (data == null || typeof data !== 'object' || Array.isArray(data)) return 'gateway'
    at([], `missing required key "role" (one of ${ROLES.join(', ')})`)
    return undefined
  }
  if (!known) {
    at(['role'], `must be one of ${ROLES.join(', ')}, got ${describe(own)}`)
    return undefined
  }
  return own as Role
}

/** Load text or throw CFG_ERR_INVALID with every problem (the sync variant, for tests and tools). */
export function loadConfigText (text: string, file: string, role?: Role): AnyConfig {
  const { problems, config } = checkConfigText(text, file, role)
  if (config == null) throw new CFG_ERR_INVALID(file, problems)
  return config
}

async function readText (file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8')
  } catch (err) {
    throw new CFG_ERR_READ(file, (err as NodeJS.ErrnoException).code ?? (err as Error).message, { cause: err })
  }
}

/**
 * Load and validate a config file. Throws CFG_ERR_READ when the file cannot be read and
 * CFG_ERR_INVALID (with `.problems`) when it is not a valid config for `role`.
 */
export async function loadConfig (file: string, role?: Role): Promise<AnyConfig> {
  return loadConfigText(await readText(file), file, role)
}

/**
 * Every problem in a config file, [] when it is valid. Throws CFG_ERR_READ when the file cannot
 * be read. With `checkFiles`, the device key file must exist and hold an Ed25519 key, certificate
 * and key files of tls_terminate must load, and serve directories must exist.
 */
export async function validateConfigFile (file: string, options: ValidateOptions = {}): Promise<ConfigProblem[]> {
  const { problems, config, locator } = checkConfigText(await readText(file), file, options.role)
  if (config != null && locator != null && options.checkFiles === true) {
    try {
      await loadDeviceKey(config.device.keyFile)
    } catch (err) {
      const pos = locator.value(['device', 'key'])
      problems.push({ file, line: pos.line, col: pos.col, path: 'device.key', message: (err as Error).message })
    }
    if (config.role === 'gateway') problems.push(...await checkChainFiles(config, file))
  }
  return problems
}
