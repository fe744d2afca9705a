import type { PluginMigration } from '@bulkhead/plugin-sdk/api';

/*
 * The server's advisory tables, for the scanner plugin's API entry (`migrations`). Advisories are
 * global data (public records), not per team: no team column. Each advisory is one row holding
 * its JSON document; affected entries and aliases are index rows pointing at it (as in the
 * embedded store), so matching reads only the advisories of the packages asked for.
 */

const UP_0001 = `
CREATE TABLE vuln_source (
  name text PRIMARY KEY,
  records integer NOT NULL DEFAULT 0,
  updated_at timestamptz NOT NULL,
  feed jsonb
);
CREATE TABLE vuln_advisory (
  pk bigserial PRIMARY KEY,
  source text NOT NULL,
  id text NOT NULL,
  -- The import that wrote the row: a complete import (replaceSource) drops the older ones.
  generation integer NOT NULL,
  withdrawn boolean NOT NULL,
  doc jsonb NOT NULL,
  CONSTRAINT vuln_advisory_source_id UNIQUE (source, id)
);
CREATE INDEX vuln_advisory_by_id ON vuln_advisory (id);
CREATE TABLE vuln_affected (
  advisory_pk bigint NOT NULL REFERENCES vuln_advisory (pk) ON DELETE CASCADE,
  idx integer NOT NULL,
  ecosystem text NOT NULL,
  name text NOT NULL,
  PRIMARY KEY (advisory_pk, idx)
);
CREATE INDEX vuln_affected_by_package ON vuln_affected (ecosystem, name);
CREATE TABLE vuln_alias (
  alias text NOT NULL,
  advisory_pk bigint NOT NULL REFERENCES vuln_advisory (pk) ON DELETE CASCADE,
  PRIMARY KEY (alias, advisory_pk)
);
CREATE INDEX vuln_alias_by_advisory ON vuln_alias (advisory_pk);
`;

const DOWN_0001 = `DROP TABLE IF EXISTS vuln_alias, vuln_affected, vuln_advisory, vuln_source`;

/*
 * The change log re-matching reads (0002): which (ecosystem, name) keys each import changed, so
 * that re-matching after an import matches only the packages an advisory that changed names (a
 * package's matches depend only on the advisories indexed under its key in vuln_affected).
 * - vuln_change_import: one row per import that committed, numbered from vuln_change_seq
 *   (numbers of rolled-back imports are skipped). `pruned`: its change rows were dropped for
 *   age; a re-match over a range holding it matches everything.
 * - vuln_change: the keys of the affected entries of every record the import added, changed
 *   (its document differs from the stored one), replaced by a different one, or removed:
 *   before and after, as vuln_affected spells them.
 */
const UP_0002 = `
CREATE SEQUENCE vuln_change_seq;
CREATE TABLE vuln_change_import (
  seq bigint PRIMARY KEY,
  source text NOT NULL,
  imported_at timestamptz NOT NULL DEFAULT now(),
  packages integer NOT NULL,
  pruned boolean NOT NULL DEFAULT false
);
CREATE TABLE vuln_change (
  seq bigint NOT NULL,
  ecosystem text NOT NULL,
  name text NOT NULL,
  PRIMARY KEY (seq, ecosystem, name)
);
`;

const DOWN_0002 = `DROP TABLE IF EXISTS vuln_change, vuln_change_import; DROP SEQUENCE IF EXISTS vuln_change_seq`;

/** The Postgres advisory store's schema steps, in order (the SDK's PluginMigration form). */
export const ADVISORY_STORE_MIGRATIONS: readonly PluginMigration[] = [
  {
    id: '0001-vuln-advisory-store',
    up: async (db) => {
      await db.query(UP_0001);
    },
    down: async (db) => {
      await db.query(DOWN_0001);
    },
  },
  {
    id: '0002-vuln-rematch-change-log',
    up: async (db) => {
      await db.query(UP_0002);
    },
    down: async (db) => {
      await db.query(DOWN_0002);
    },
  },
];
