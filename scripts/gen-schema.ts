// Writes the published JSON Schema of each role, generated from the TypeBox schemas in
// src/config/schema.ts, to configs/schema/<role>.schema.json. Run after changing a schema:
//   node scripts/gen-schema.ts
// test/unit/config/schema-files.test.ts fails while the committed files differ from this output.
import { mkdir, writeFile } from 'node:fs/promises'
import { jsonSchemaText, ROLES } from '../src/config/schema.ts'

const dir = new URL('../configs/schema/', import.meta.url)
await mkdir(dir, { recursive: true })
for (const role of ROLES) {
  const file = new URL(`${role}.schema.json`, dir)
  await writeFile(file, jsonSchemaText(role))
  process.stdout.write(`wrote ${file.pathname}\n`)
}
