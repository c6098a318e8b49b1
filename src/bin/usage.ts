// Help texts of the zonegate command and its subcommands.

export const COMMAND_NAMES = Object.freeze(['gateway', 'sn', 'validate', 'keygen', 'help'] as const)
export type CommandName = typeof COMMAND_NAMES[number]

const COMMAND_USAGE: Readonly<Record<CommandName, string>> = Object.freeze({
  gateway: `Usage: zonegate gateway -c FILE

Run a gateway: its rtcp tunnels (listeners, kept tunnels to peers) and its stacks.
Logs JSON lines on stdout. SIGINT or SIGTERM stops it cleanly; a second signal exits at once.

Options:
  -c, --config FILE   the gateway config (YAML; see docs/config.md)
  -h, --help          show this help
`,
  sn: `Usage: zonegate sn -c FILE

Run a super node (SN): accepts tunnels from its trusted devices and relays between them.
Logs JSON lines on stdout. SIGINT or SIGTERM stops it cleanly; a second signal exits at once.

Options:
  -c, --config FILE   the SN config (YAML; see docs/config.md)
  -h, --help          show this help
`,
  validate: `Usage: zonegate validate -c FILE [--role gateway|sn] [--check-files]

Check a config file and print every problem as FILE:LINE:COL path: message.
Exit status: 0 when valid (prints "FILE: ok"), 1 when it has problems, 2 when it cannot be read.

Options:
  -c, --config FILE   the config file to check
      --role ROLE     check as this role (gateway or sn) when the file has no role key
      --check-files   also check that the device key file exists and holds an Ed25519 key
  -h, --help          show this help
`,
  keygen: `Usage: zonegate keygen --out FILE [--force]

Make a new Ed25519 device key, write it as PKCS#8 PEM readable only by you (mode 0600),
and print its did:dev.

Options:
  -o, --out FILE      where to write the key
      --force         replace FILE if it exists
  -h, --help          show this help
`,
  help: `Usage: zonegate help [COMMAND]

Show the usage of zonegate or of one command.
`
})

export function commandUsage (name: CommandName): string {
  return COMMAND_USAGE[name]
}

export const MAIN_USAGE = `Usage: zonegate COMMAND [OPTIONS]

Commands:
  gateway -c FILE            run a gateway
  sn -c FILE                 run a super node (SN)
  validate -c FILE           check a config file, print every problem
  keygen --out FILE          make a device key, print its did:dev
  help [COMMAND]             show the usage of a command

Options:
  -h, --help                 show this help
  -v, --version              print the version

Run "zonegate help COMMAND" for the options of a command.
`
