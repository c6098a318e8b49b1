// Child of sqlite.test.ts: one transaction big enough (10 000 keys × 8 KiB values, twice over
// with history) to be killed in the middle of.
import { openSqliteStore } from '../../../../src/sysconfig/store/sqlite.ts'

const store = openSqliteStore({ file: process.argv[2] })
const value = 'v'.repeat(8192)
const actions = Array.from({ length: 10_000 }, (_, i) => ({ op: 'set' as const, key: `big/${i}`, value }))
process.stdout.write('begin\n')
await store.tx(actions)
process.stdout.write('committed\n')
await store.close()
