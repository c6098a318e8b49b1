import t from 'tap'
import { readFile } from 'node:fs/promises'
import { Ajv } from 'ajv'
import YAML from 'yaml'
import { jsonSchemaText, ROLES } from '../../../src/config/schema.ts'

const file = (role: string): URL => new URL(`../../../configs/schema/${role}.schema.json`, import.meta.url)

t.test('the committed JSON Schema files are the generated ones (node scripts/gen-schema.ts)', async t => {
  for (const role of ROLES) {
    t.equal(await readFile(file(role), 'utf8'), jsonSchemaText(role), `configs/schema/${role}.schema.json is up to date`)
  }
})

t.test('the published schemas work on their own, as an editor would use them', async t => {
  const ajv = new Ajv({ allErrors: true, strict: false })
  for (const role of ROLES) {
    const validate = ajv.compile(JSON.parse(await readFile(file(role), 'utf8')))
    const example = YAML.parse(await readFile(new URL(`../../../configs/${role === 'sn' ? 'sn' : 'gateway-remote'}.yaml`, import.meta.url), 'utf8'))
    t.ok(validate(example), `the ${role} example passes: ${JSON.stringify(validate.errors)}`)
    t.notOk(validate({ ...example, unknown_key: 1 }), 'unknown keys fail')
  }
})
