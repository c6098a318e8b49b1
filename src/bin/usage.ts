// Help texts of the zonegate command and its subcommands.

export const COMMAND_NAMES = Object.freeze(['gateway', 'sn', 'zone', 'sysconfig', 'service', 'validate', 'route', 'reload', 'status', 'keygen', 'help'] as const)
export type CommandName = typeof COMMAND_NAMES[number]

const COMMAND_USAGE: Readonly<Record<CommandName, string>> = Object.freeze({
  gateway: `Usage: zonegate gateway -c FILE

Run a gateway: its rtcp tunnels (listeners, kept tunnels to peers), its stacks and chains.
Logs JSON lines on stdout. SIGINT or SIGTERM stops it cleanly; a second signal exits at once.
SIGHUP reloads the config file (as "zonegate reload" does).

Options:
  -c, --config FILE   the gateway config (YAML; see docs/config.md)
  -h, --help          show this help
`,
  sn: `Usage: zonegate sn -c FILE
       zonegate sn -c FILE ACTION

Run a super node (SN): it admits the registered devices of its zones (and the devices its trust
list names), relays between them, serves the zones' DNS, the registration and DDNS API, keeps its
certificates and routes public 80/443 traffic to the zones by name.
Logs JSON lines on stdout. SIGINT or SIGTERM stops it cleanly; a second signal exits at once.

With an ACTION, ask the running SN of FILE (through its control API) to:
  invite create [--uses N] [--expires-in 24h] [--note TEXT]   make an invitation code (printed)
  invite list                                                 list invitation codes
  invite close CODE                                           close an invitation code
  registration open | registration close                      accept new zones, or not
  deny zone|device ID | allow zone|device ID                  the denylist (zone name or did:dev)

Options:
  -c, --config FILE   the SN config (YAML; see docs/config.md)
  -h, --help          show this help
`,
  zone: `Usage: zonegate zone COMMAND [options]   (see "zonegate zone --help")

Register a zone with an SN and manage the devices the zone owner signs for.
`,
  sysconfig: `Usage: zonegate sysconfig -c FILE

Run the zone's system-config service alone: the sysconfig section of FILE (a gateway config) with
serve.listen set, answering the JSON RPC on http://<listen>/kapi/system_config. A gateway with
sysconfig.serve runs the same service inside itself.

Options:
  -c, --config FILE   the config (YAML; see docs/config.md)
  -h, --help          show this help
`,
  service: `Usage: zonegate service announce [options]   (see "zonegate service --help")

Announce a service instance in the zone's system-config, refresh it, withdraw it on exit.
`,
  validate: `Usage: zonegate validate -c FILE [--role gateway|sn] [--check-files]

Check a config file and print every problem as FILE:LINE:COL path: message, and a
warning for every route that an earlier, broader route hides.
Exit status: 0 when valid (prints "FILE: ok"), 1 when it has problems, 2 when it cannot be read.

Options:
  -c, --config FILE   the config file to check
      --role ROLE     check as this role (gateway or sn) when the file has no role key
      --check-files   also check the files the config names: the device key, certificates
                      and keys of tls_terminate, serve directories
  -h, --help          show this help
`,
  route: `Usage: zonegate route -c FILE (--sni NAME | --url URL) [options]

Dry run: print the route a connection or request would take through the chains of a gateway
config, and why each route before it did not match. Nothing is started.

Options:
  -c, --config FILE   the gateway config
      --sni NAME      a TLS connection with this server name
      --url URL       an HTTP request (https:// also implies --sni with its host)
      --stack ID      the stack it arrives on (default: the first stack)
      --method M      the request method (default GET)
      --header K:V    a request header (repeatable)
      --alpn P        an ALPN protocol the client offers (repeatable)
      --source IP     the client address (default 127.0.0.1)
      --peer DID      the device, for streams that arrive over rtcp
  -h, --help          show this help
`,
  reload: `Usage: zonegate reload -c FILE

Ask the running gateway of FILE to load it again, through its control API (the file's control
section). A config that fails validation changes nothing; the problems are printed.
Established connections keep flowing. Exit status: 0 reloaded, 1 refused or unreachable.

Options:
  -c, --config FILE   the gateway config the running gateway was started with
  -h, --help          show this help
`,
  status: `Usage: zonegate status -c FILE

Print the status of the running gateway of FILE (stacks, open connections, chains, routes,
upstream health, tunnels) as JSON, through its control API.

Options:
  -c, --config FILE   the gateway config the running gateway was started with
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
  sn -c FILE [ACTION]        run a super node (SN), or ask a running one to act
                             (invitations, registration, denylist)
  zone COMMAND               register a zone with an SN, add and remove its devices
  sysconfig -c FILE          run the zone's system-config service alone
  service announce ...       announce a service instance until stopped
  validate -c FILE           check a config file, print every problem
  route -c FILE --sni H|--url U   dry run: which route a connection takes, and why
  reload -c FILE             apply a changed config to the running gateway
  status -c FILE             show a running gateway's stacks, routes and tunnels
  keygen --out FILE          make a device key, print its did:dev
  help [COMMAND]             show the usage of a command

Options:
  -h, --help                 show this help
  -v, --version              print the version

Run "zonegate help COMMAND" for the options of a command.
`
