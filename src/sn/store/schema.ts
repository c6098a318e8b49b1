// The SN store's schema as an ordered list of migrations; `PRAGMA user_version` records how many
// have run, so opening an older file upgrades it in place and a newer file is refused.
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE zones (
    name TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    created INTEGER NOT NULL,
    active INTEGER NOT NULL DEFAULT 1,
    version INTEGER NOT NULL DEFAULT 0
  );
  CREATE INDEX zones_owner ON zones (owner);
  CREATE TABLE devices (
    zone TEXT NOT NULL REFERENCES zones (name) ON DELETE CASCADE,
    name TEXT NOT NULL,
    did TEXT NOT NULL UNIQUE,
    PRIMARY KEY (zone, name)
  );
  -- Reports outlive a device-list rewrite that keeps the device, so they are keyed by did only
  -- and removed explicitly when the device leaves its list.
  CREATE TABLE reports (
    did TEXT PRIMARY KEY,
    addrs TEXT NOT NULL,
    observed TEXT,
    direct INTEGER NOT NULL,
    reported_at INTEGER NOT NULL
  );
  -- zone NULL: a record the SN set on its own names (ACME dns-01).
  CREATE TABLE txt (
    zone TEXT REFERENCES zones (name) ON DELETE CASCADE,
    name TEXT NOT NULL,
    value TEXT NOT NULL,
    created INTEGER NOT NULL,
    PRIMARY KEY (name, value)
  );
  CREATE TABLE invites (
    code TEXT PRIMARY KEY,
    uses INTEGER NOT NULL,
    used INTEGER NOT NULL DEFAULT 0,
    closed INTEGER NOT NULL DEFAULT 0,
    expires_at INTEGER,
    note TEXT
  );
  CREATE TABLE denylist (
    kind TEXT NOT NULL,
    id TEXT NOT NULL,
    PRIMARY KEY (kind, id)
  );
  CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
  );
  -- Several zones may claim a domain; only one can hold it verified (checked on verify).
  CREATE TABLE domains (
    zone TEXT NOT NULL REFERENCES zones (name) ON DELETE CASCADE,
    domain TEXT NOT NULL,
    challenge TEXT NOT NULL,
    verified INTEGER NOT NULL DEFAULT 0,
    created INTEGER NOT NULL,
    PRIMARY KEY (zone, domain)
  );
  CREATE TABLE kv (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
  );
  `
]
