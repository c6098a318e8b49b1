// Runs `zonegate service …` in a process of its own, so the test can stop it with a real signal.
import { runServiceCommand } from '../../../src/bin/service-command.ts'

process.exitCode = await runServiceCommand(process.argv.slice(2), {
  out: text => { process.stdout.write(text) },
  err: text => { process.stderr.write(text) }
})
