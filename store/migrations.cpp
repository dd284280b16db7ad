#include "store/migrations.h"

#include <string>

#include "core/log.h"

namespace garde::store {
namespace {

const core::Logger kLog("store.migrations");

// Version 1: directory, publishers and contracts, policy, subscriptions, feeds.
// docs/data-model.md explains each table. Text dates are ISO 8601 ("YYYY-MM-DD" for days,
// "YYYY-MM-DDThh:mm:ssZ" for instants) so that they sort and compare as text.
constexpr const char* kV1 = R"SQL(
CREATE TABLE ents (
  id                TEXT PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 64),
  name              TEXT NOT NULL,
  idp_entity_id     TEXT UNIQUE,
  idp_metadata_xml  TEXT,
  created_at        TEXT NOT NULL
) STRICT;

CREATE TABLE feeds (
  id           INTEGER PRIMARY KEY,
  ent_id       TEXT NOT NULL REFERENCES ents(id) ON DELETE CASCADE,
  kind         TEXT NOT NULL CHECK (kind IN ('complet', 'delta')),
  file_name    TEXT NOT NULL,
  received_at  TEXT NOT NULL,
  finished_at  TEXT,
  status       TEXT NOT NULL CHECK (status IN ('importing', 'imported', 'failed')),
  item_count   INTEGER NOT NULL DEFAULT 0,
  report       TEXT
) STRICT;

CREATE TABLE establishments (
  uai          TEXT PRIMARY KEY CHECK (length(uai) BETWEEN 1 AND 45),
  ent_id       TEXT NOT NULL REFERENCES ents(id) ON DELETE CASCADE,
  name         TEXT NOT NULL DEFAULT '',
  academy      TEXT,
  nature_code  TEXT,
  feed_id      INTEGER REFERENCES feeds(id) ON DELETE SET NULL
) STRICT;

CREATE TABLE people (
  id             INTEGER PRIMARY KEY,
  ent_id         TEXT NOT NULL REFERENCES ents(id) ON DELETE CASCADE,
  ent_person_id  TEXT NOT NULL CHECK (length(ent_person_id) BETWEEN 1 AND 64),
  last_name      TEXT NOT NULL DEFAULT '',
  first_name     TEXT NOT NULL DEFAULT '',
  civility       TEXT NOT NULL DEFAULT '' CHECK (civility IN ('', 'M.', 'Mme')),
  feed_id        INTEGER REFERENCES feeds(id) ON DELETE SET NULL,
  UNIQUE (ent_id, ent_person_id)
) STRICT;

CREATE TABLE person_profiles (
  person_id  INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
  uai        TEXT NOT NULL REFERENCES establishments(uai) ON DELETE CASCADE,
  profile    TEXT NOT NULL CHECK (profile IN ('National_elv', 'National_ens', 'National_doc',
             'National_dir', 'National_evs', 'National_eta', 'National_col')),
  feed_id    INTEGER REFERENCES feeds(id) ON DELETE SET NULL,
  PRIMARY KEY (person_id, uai, profile)
) STRICT;

CREATE TABLE person_emails (
  person_id  INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
  email      TEXT NOT NULL,
  PRIMARY KEY (person_id, email)
) STRICT;

CREATE TABLE person_mefs (
  person_id  INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
  uai        TEXT NOT NULL REFERENCES establishments(uai) ON DELETE CASCADE,
  mef_code   TEXT NOT NULL,
  PRIMARY KEY (person_id, uai, mef_code)
) STRICT;

CREATE TABLE person_subjects (
  person_id     INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
  uai           TEXT NOT NULL REFERENCES establishments(uai) ON DELETE CASCADE,
  role          TEXT NOT NULL CHECK (role IN ('pupil', 'teacher')),
  subject_code  TEXT NOT NULL,
  PRIMARY KEY (person_id, uai, role, subject_code)
) STRICT;

CREATE TABLE groups (
  id       INTEGER PRIMARY KEY,
  uai      TEXT NOT NULL REFERENCES establishments(uai) ON DELETE CASCADE,
  code     TEXT NOT NULL,
  kind     TEXT NOT NULL CHECK (kind IN ('class', 'group')),
  label    TEXT NOT NULL DEFAULT '',
  feed_id  INTEGER REFERENCES feeds(id) ON DELETE SET NULL,
  UNIQUE (uai, code)
) STRICT;

CREATE TABLE group_members (
  group_id   INTEGER NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
  person_id  INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
  PRIMARY KEY (group_id, person_id)
) STRICT;
CREATE INDEX group_members_person ON group_members(person_id);

CREATE TABLE publishers (
  id                  TEXT PRIMARY KEY CHECK (id GLOB
    '[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]_[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]'),
  name                TEXT NOT NULL,
  sp_entity_id        TEXT UNIQUE,
  sp_metadata_xml     TEXT,
  client_cert_sha256  TEXT UNIQUE
) STRICT;

CREATE TABLE resources (
  id            TEXT PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 1024),
  publisher_id  TEXT NOT NULL REFERENCES publishers(id) ON DELETE CASCADE,
  name          TEXT NOT NULL,
  url           TEXT NOT NULL,
  login_url     TEXT,
  category      TEXT NOT NULL,
  launch_mode   TEXT NOT NULL CHECK (launch_mode IN ('bounce', 'direct'))
) STRICT;

CREATE TABLE contracts (
  resource_id  TEXT PRIMARY KEY REFERENCES resources(id) ON DELETE CASCADE,
  status       TEXT NOT NULL CHECK (status IN ('submitted', 'approved', 'suspended')),
  revision     INTEGER NOT NULL DEFAULT 1,
  updated_at   TEXT NOT NULL,
  updated_by   TEXT NOT NULL
) STRICT;

CREATE TABLE contract_declarations (
  resource_id     TEXT NOT NULL REFERENCES contracts(resource_id) ON DELETE CASCADE,
  profile         TEXT NOT NULL CHECK (profile IN ('National_elv', 'National_ens', 'National_doc',
                  'National_dir', 'National_evs', 'National_eta', 'National_col')),
  attribute_code  TEXT NOT NULL,
  justification   TEXT NOT NULL CHECK (length(justification) > 0),
  PRIMARY KEY (resource_id, profile, attribute_code)
) STRICT;

CREATE TABLE contract_history (
  id            INTEGER PRIMARY KEY,
  resource_id   TEXT NOT NULL,
  revision      INTEGER NOT NULL,
  at            TEXT NOT NULL,
  actor         TEXT NOT NULL,
  old_status    TEXT,
  new_status    TEXT NOT NULL,
  reason        TEXT NOT NULL DEFAULT '',
  declarations  TEXT NOT NULL
) STRICT;

CREATE TABLE attribute_catalogue (
  code          TEXT PRIMARY KEY,
  meaning       TEXT NOT NULL,
  sensitivity   TEXT NOT NULL CHECK (sensitivity IN ('technical', 'personal', 'sensitive')),
  multi_valued  INTEGER NOT NULL DEFAULT 0 CHECK (multi_valued IN (0, 1)),
  position      INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE TABLE policy_versions (
  seq         INTEGER PRIMARY KEY AUTOINCREMENT,
  version     TEXT NOT NULL UNIQUE,
  previous    TEXT REFERENCES policy_versions(version),
  created_at  TEXT NOT NULL,
  created_by  TEXT NOT NULL,
  reason      TEXT NOT NULL
) STRICT;

CREATE TABLE ceilings (
  policy_version  TEXT NOT NULL REFERENCES policy_versions(version) ON DELETE CASCADE,
  profile         TEXT NOT NULL CHECK (profile IN ('National_elv', 'National_ens', 'National_doc',
                  'National_dir', 'National_evs', 'National_eta', 'National_col')),
  category        TEXT NOT NULL,
  attribute_code  TEXT NOT NULL,
  PRIMARY KEY (policy_version, profile, category, attribute_code)
) STRICT;

CREATE TABLE subscriptions (
  id                  TEXT PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 45 AND substr(id, 1, 1) <> '_'),
  publisher_id        TEXT NOT NULL REFERENCES publishers(id) ON DELETE CASCADE,
  resource_id         TEXT NOT NULL REFERENCES resources(id) ON DELETE CASCADE,
  resource_type       TEXT NOT NULL DEFAULT 'ark',
  resource_label      TEXT NOT NULL DEFAULT '',
  comment             TEXT NOT NULL DEFAULT '',
  valid_from          TEXT NOT NULL,
  valid_until         TEXT NOT NULL,
  end_school_year     TEXT,
  nature_code         TEXT,
  category            TEXT NOT NULL CHECK (category IN ('transferable', 'non transferable')),
  assignment_type     TEXT NOT NULL CHECK (assignment_type IN ('INDIV', 'ETABL')),
  licences_global     INTEGER,
  licences_unlimited  INTEGER NOT NULL DEFAULT 0 CHECK (licences_unlimited IN (0, 1)),
  project_code        TEXT,
  created_at          TEXT NOT NULL,
  updated_at          TEXT NOT NULL,
  CHECK (valid_from <= valid_until)
) STRICT;

CREATE TABLE subscription_uais (
  subscription_id  TEXT NOT NULL REFERENCES subscriptions(id) ON DELETE CASCADE,
  uai              TEXT NOT NULL,
  PRIMARY KEY (subscription_id, uai)
) STRICT;
CREATE INDEX subscription_uais_uai ON subscription_uais(uai);

CREATE TABLE subscription_audiences (
  subscription_id  TEXT NOT NULL REFERENCES subscriptions(id) ON DELETE CASCADE,
  audience         TEXT NOT NULL CHECK (audience IN ('ELEVE', 'ENSEIGNANT', 'DOCUMENTALISTE', 'AUTRE PERSONNEL')),
  licences         INTEGER,
  PRIMARY KEY (subscription_id, audience)
) STRICT;

CREATE TABLE assignments (
  id               INTEGER PRIMARY KEY,
  subscription_id  TEXT NOT NULL REFERENCES subscriptions(id) ON DELETE CASCADE,
  uai              TEXT NOT NULL REFERENCES establishments(uai) ON DELETE CASCADE,
  target_kind      TEXT NOT NULL CHECK (target_kind IN ('person', 'class', 'group', 'establishment')),
  person_id        INTEGER REFERENCES people(id) ON DELETE CASCADE,
  group_id         INTEGER REFERENCES groups(id) ON DELETE CASCADE,
  assigned_by      TEXT NOT NULL,
  assigned_at      TEXT NOT NULL,
  CHECK ((target_kind = 'person' AND person_id IS NOT NULL AND group_id IS NULL)
      OR (target_kind IN ('class', 'group') AND group_id IS NOT NULL AND person_id IS NULL)
      OR (target_kind = 'establishment' AND person_id IS NULL AND group_id IS NULL))
) STRICT;
CREATE UNIQUE INDEX assignments_unique
  ON assignments(subscription_id, uai, target_kind, ifnull(person_id, 0), ifnull(group_id, 0));
CREATE INDEX assignments_person ON assignments(person_id);
CREATE INDEX assignments_group ON assignments(group_id);
)SQL";

// Version 2: the audit trail (releases, refusals, admin actions) and launch-path indexes.
constexpr const char* kV2 = R"SQL(
CREATE TABLE audit (
  id              INTEGER PRIMARY KEY,
  at              TEXT NOT NULL,
  kind            TEXT NOT NULL CHECK (kind IN ('launch', 'admin')),
  correlation_id  TEXT NOT NULL,
  ent_id          TEXT NOT NULL DEFAULT '',
  uai             TEXT NOT NULL DEFAULT '',
  profile         TEXT NOT NULL DEFAULT '',
  publisher_id    TEXT NOT NULL DEFAULT '',
  resource_id     TEXT NOT NULL DEFAULT '',
  released        TEXT NOT NULL DEFAULT '',
  policy_version  TEXT NOT NULL DEFAULT '',
  outcome         TEXT NOT NULL CHECK (outcome IN ('released', 'refused', 'done', 'failed')),
  reason          TEXT NOT NULL DEFAULT '',
  actor           TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX audit_at ON audit(at);
CREATE INDEX audit_publisher ON audit(publisher_id, at);

CREATE INDEX resources_publisher ON resources(publisher_id);
CREATE INDEX subscriptions_resource ON subscriptions(resource_id);
CREATE INDEX person_profiles_uai ON person_profiles(uai);
)SQL";

// Version 3: a generation counter of the policy (catalogue, versions, ceilings), bumped by triggers
// on every change to those tables, so that the broker can keep the current policy in memory and
// read one integer per launch to know whether it is still current (store::PolicyCache).
constexpr const char* kV3 = R"SQL(
CREATE TABLE policy_generation (
  id  INTEGER PRIMARY KEY CHECK (id = 1),
  n   INTEGER NOT NULL
) STRICT;
INSERT INTO policy_generation(id, n) VALUES (1, 0);

CREATE TRIGGER attribute_catalogue_insert AFTER INSERT ON attribute_catalogue
  BEGIN UPDATE policy_generation SET n = n + 1; END;
CREATE TRIGGER attribute_catalogue_update AFTER UPDATE ON attribute_catalogue
  BEGIN UPDATE policy_generation SET n = n + 1; END;
CREATE TRIGGER attribute_catalogue_delete AFTER DELETE ON attribute_catalogue
  BEGIN UPDATE policy_generation SET n = n + 1; END;
CREATE TRIGGER policy_versions_insert AFTER INSERT ON policy_versions
  BEGIN UPDATE policy_generation SET n = n + 1; END;
CREATE TRIGGER policy_versions_update AFTER UPDATE ON policy_versions
  BEGIN UPDATE policy_generation SET n = n + 1; END;
CREATE TRIGGER policy_versions_delete AFTER DELETE ON policy_versions
  BEGIN UPDATE policy_generation SET n = n + 1; END;
CREATE TRIGGER ceilings_insert AFTER INSERT ON ceilings
  BEGIN UPDATE policy_generation SET n = n + 1; END;
CREATE TRIGGER ceilings_update AFTER UPDATE ON ceilings
  BEGIN UPDATE policy_generation SET n = n + 1; END;
CREATE TRIGGER ceilings_delete AFTER DELETE ON ceilings
  BEGIN UPDATE policy_generation SET n = n + 1; END;
)SQL";

// Version 4: the same for what a launch reads of a resource and its contract (the resources,
// contracts and contract_declarations tables), kept in memory by store::ResourceCache.
constexpr const char* kV4 = R"SQL(
CREATE TABLE registry_generation (
  id  INTEGER PRIMARY KEY CHECK (id = 1),
  n   INTEGER NOT NULL
) STRICT;
INSERT INTO registry_generation(id, n) VALUES (1, 0);

CREATE TRIGGER resources_insert AFTER INSERT ON resources
  BEGIN UPDATE registry_generation SET n = n + 1; END;
CREATE TRIGGER resources_update AFTER UPDATE ON resources
  BEGIN UPDATE registry_generation SET n = n + 1; END;
CREATE TRIGGER resources_delete AFTER DELETE ON resources
  BEGIN UPDATE registry_generation SET n = n + 1; END;
CREATE TRIGGER contracts_insert AFTER INSERT ON contracts
  BEGIN UPDATE registry_generation SET n = n + 1; END;
CREATE TRIGGER contracts_update AFTER UPDATE ON contracts
  BEGIN UPDATE registry_generation SET n = n + 1; END;
CREATE TRIGGER contracts_delete AFTER DELETE ON contracts
  BEGIN UPDATE registry_generation SET n = n + 1; END;
CREATE TRIGGER contract_declarations_insert AFTER INSERT ON contract_declarations
  BEGIN UPDATE registry_generation SET n = n + 1; END;
CREATE TRIGGER contract_declarations_update AFTER UPDATE ON contract_declarations
  BEGIN UPDATE registry_generation SET n = n + 1; END;
CREATE TRIGGER contract_declarations_delete AFTER DELETE ON contract_declarations
  BEGIN UPDATE registry_generation SET n = n + 1; END;
)SQL";

// Version 5: how each ENT says who the user is, and when our AuthnRequests to it are signed
// (docs/data-model.md, "ents"). Existing ENTs keep what garde did before: the NameID, now asked
// for in the persistent format.
constexpr const char* kV5 = R"SQL(
ALTER TABLE ents ADD COLUMN identifier_source TEXT NOT NULL DEFAULT 'name_id'
  CHECK (identifier_source IN ('name_id', 'attribute'));
ALTER TABLE ents ADD COLUMN identifier_name TEXT NOT NULL
  DEFAULT 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent'
  CHECK (length(identifier_name) BETWEEN 1 AND 1024);
ALTER TABLE ents ADD COLUMN sign_authn_requests TEXT NOT NULL DEFAULT 'metadata'
  CHECK (sign_authn_requests IN ('metadata', 'always'));
)SQL";

// Version 6: the client certificates partners call the APIs with (docs/data-model.md,
// "caller_certificates"): several per ENT or publisher, so that a certificate can be rolled over
// without a gap. Identified by the SHA-256 fingerprint of the DER, never by the subject. A row
// names an existing caller (checked by a trigger, the kind says which table) and goes when it
// goes; every change bumps registry_generation, so that a running broker's cache of them
// (broker/caller_registry.h) reads them again on the next call.
constexpr const char* kV6 = R"SQL(
CREATE TABLE caller_certificates (
  caller_kind  TEXT NOT NULL CHECK (caller_kind IN ('ent', 'publisher')),
  caller_id    TEXT NOT NULL,
  sha256       TEXT NOT NULL UNIQUE CHECK (length(sha256) = 64 AND NOT sha256 GLOB '*[^0-9a-f]*'),
  subject      TEXT NOT NULL DEFAULT '',
  not_after    TEXT NOT NULL,
  added_at     TEXT NOT NULL
) STRICT;
CREATE INDEX caller_certificates_caller ON caller_certificates(caller_kind, caller_id);

CREATE TRIGGER caller_certificates_known_caller BEFORE INSERT ON caller_certificates
  WHEN (NEW.caller_kind = 'ent' AND NOT EXISTS (SELECT 1 FROM ents WHERE id = NEW.caller_id))
    OR (NEW.caller_kind = 'publisher'
        AND NOT EXISTS (SELECT 1 FROM publishers WHERE id = NEW.caller_id))
  BEGIN SELECT RAISE(ABORT, 'caller_certificates: unknown caller'); END;
CREATE TRIGGER ents_delete_certificates AFTER DELETE ON ents
  BEGIN DELETE FROM caller_certificates WHERE caller_kind = 'ent' AND caller_id = OLD.id; END;
CREATE TRIGGER publishers_delete_certificates AFTER DELETE ON publishers
  BEGIN DELETE FROM caller_certificates WHERE caller_kind = 'publisher' AND caller_id = OLD.id; END;

CREATE TRIGGER caller_certificates_insert AFTER INSERT ON caller_certificates
  BEGIN UPDATE registry_generation SET n = n + 1; END;
CREATE TRIGGER caller_certificates_update AFTER UPDATE ON caller_certificates
  BEGIN UPDATE registry_generation SET n = n + 1; END;
CREATE TRIGGER caller_certificates_delete AFTER DELETE ON caller_certificates
  BEGIN UPDATE registry_generation SET n = n + 1; END;
)SQL";

// Version 7: directory feeds (docs/feeds.md, ADR 0015): the establishments' MEFs and subjects
// with their labels (GARMEF, GARMatiere), the assignment managers (GARRespAff) and where they
// assign, and the indexes a snapshot's merge and the feeds API read by.
constexpr const char* kV7 = R"SQL(
CREATE TABLE establishment_mefs (
  uai      TEXT NOT NULL REFERENCES establishments(uai) ON DELETE CASCADE,
  code     TEXT NOT NULL,
  label    TEXT NOT NULL DEFAULT '',
  feed_id  INTEGER REFERENCES feeds(id) ON DELETE SET NULL,
  PRIMARY KEY (uai, code)
) STRICT;

CREATE TABLE establishment_subjects (
  uai      TEXT NOT NULL REFERENCES establishments(uai) ON DELETE CASCADE,
  code     TEXT NOT NULL,
  label    TEXT NOT NULL DEFAULT '',
  feed_id  INTEGER REFERENCES feeds(id) ON DELETE SET NULL,
  PRIMARY KEY (uai, code)
) STRICT;

CREATE TABLE assignment_managers (
  id             INTEGER PRIMARY KEY,
  ent_id         TEXT NOT NULL REFERENCES ents(id) ON DELETE CASCADE,
  ent_person_id  TEXT NOT NULL CHECK (length(ent_person_id) BETWEEN 1 AND 64),
  last_name      TEXT NOT NULL DEFAULT '',
  first_name     TEXT NOT NULL DEFAULT '',
  civility       TEXT NOT NULL DEFAULT '' CHECK (civility IN ('', 'M.', 'Mme')),
  emails         TEXT NOT NULL DEFAULT '',
  feed_id        INTEGER REFERENCES feeds(id) ON DELETE SET NULL,
  UNIQUE (ent_id, ent_person_id)
) STRICT;

CREATE TABLE assignment_manager_establishments (
  manager_id  INTEGER NOT NULL REFERENCES assignment_managers(id) ON DELETE CASCADE,
  uai         TEXT NOT NULL REFERENCES establishments(uai) ON DELETE CASCADE,
  PRIMARY KEY (manager_id, uai)
) STRICT;
CREATE INDEX assignment_manager_establishments_uai ON assignment_manager_establishments(uai);

CREATE INDEX establishments_ent ON establishments(ent_id);
CREATE INDEX feeds_ent ON feeds(ent_id, id);
CREATE INDEX people_feed ON people(feed_id);
CREATE INDEX groups_feed ON groups(feed_id);
CREATE INDEX establishments_feed ON establishments(feed_id);
CREATE INDEX person_profiles_feed ON person_profiles(feed_id);
)SQL";

// Version 8: the assignments of a subscription in an establishment, read by the licence counts
// (docs/assignments.md); the registry generation also moves with ENTs, establishments and
// publishers, so that running nodes reload their peer registries.
constexpr const char* kV8 = R"SQL(
CREATE INDEX assignments_subscription_uai ON assignments(subscription_id, uai);
-- The peer registries (ENT IdPs with their establishments, publisher SPs) are reloaded by every
-- running node when this counter moves, as the resource cache already is.
CREATE TRIGGER ents_insert_registry AFTER INSERT ON ents
  BEGIN UPDATE registry_generation SET n = n + 1; END;
CREATE TRIGGER ents_update_registry AFTER UPDATE ON ents
  BEGIN UPDATE registry_generation SET n = n + 1; END;
CREATE TRIGGER ents_delete_registry AFTER DELETE ON ents
  BEGIN UPDATE registry_generation SET n = n + 1; END;
CREATE TRIGGER establishments_insert_registry AFTER INSERT ON establishments
  BEGIN UPDATE registry_generation SET n = n + 1; END;
CREATE TRIGGER establishments_update_registry AFTER UPDATE ON establishments
  BEGIN UPDATE registry_generation SET n = n + 1; END;
CREATE TRIGGER establishments_delete_registry AFTER DELETE ON establishments
  BEGIN UPDATE registry_generation SET n = n + 1; END;
CREATE TRIGGER publishers_insert_registry AFTER INSERT ON publishers
  BEGIN UPDATE registry_generation SET n = n + 1; END;
CREATE TRIGGER publishers_update_registry AFTER UPDATE ON publishers
  BEGIN UPDATE registry_generation SET n = n + 1; END;
CREATE TRIGGER publishers_delete_registry AFTER DELETE ON publishers
  BEGIN UPDATE registry_generation SET n = n + 1; END;
)SQL";

// Version 9: the local accounts of the ministry's admins and auditors, and the throttling of
// sign-in attempts per account and per address (store/admin_accounts.h, docs/adr/0019).
constexpr const char* kV9 = R"SQL(
CREATE TABLE admin_accounts (
  username        TEXT PRIMARY KEY,
  role            TEXT NOT NULL CHECK (role IN ('ministry_admin', 'auditor')),
  password_hash   TEXT NOT NULL,            -- Argon2id PHC string
  totp_secret     TEXT NOT NULL DEFAULT '', -- base32; '' = no second factor
  totp_last_step  INTEGER NOT NULL DEFAULT 0,
  created_at      TEXT NOT NULL,
  disabled        INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1))
) STRICT;

CREATE TABLE login_throttle (
  key              TEXT PRIMARY KEY,   -- 'account:<username>' or 'address:<IP>'
  failures         INTEGER NOT NULL,
  last_failure_at  INTEGER NOT NULL,   -- Unix seconds
  locked_until     INTEGER NOT NULL    -- Unix seconds; 0 = not locked
) STRICT;
)SQL";

// Version 10: who each audit row is about, as a keyed digest (never the identifier), for
// subject-access exports; and the indexes of the audit searches (docs/audit.md, ADR 0020).
constexpr const char* kV10 = R"SQL(
ALTER TABLE audit ADD COLUMN subject TEXT NOT NULL DEFAULT '';
CREATE INDEX audit_subject ON audit(subject) WHERE subject <> '';
)SQL";

// Version 11: proposed changes of the ceilings that widen what can be released, waiting for a
// second ministry admin (store/policy_governance.h, docs/adr/0021).
constexpr const char* kV11 = R"SQL(
CREATE TABLE ceiling_proposals (
  id               INTEGER PRIMARY KEY,
  base_version     TEXT NOT NULL REFERENCES policy_versions(version),
  proposed_by      TEXT NOT NULL,
  proposed_at      TEXT NOT NULL,
  reason           TEXT NOT NULL CHECK (length(reason) > 0),
  ceilings         TEXT NOT NULL,  -- the whole proposed table, one "profile TAB category TAB code" per line
  status           TEXT NOT NULL CHECK (status IN ('pending', 'applied', 'rejected')),
  decided_by       TEXT,
  decided_at       TEXT,
  decision_reason  TEXT NOT NULL DEFAULT '',
  applied_version  TEXT REFERENCES policy_versions(version)
) STRICT;
)SQL";

// Version 12: the profiles each catalogue attribute exists for, and the catalogue's history
// (store/catalogue.h, docs/adr/0023-catalogue-edits.md). Attributes already in the catalogue exist
// for every profile, which releases exactly what was released before: the ceilings still bound
// each profile, and the ministry narrows the entries through the admin API.
constexpr const char* kV12 = R"SQL(
CREATE TABLE catalogue_profiles (
  code     TEXT NOT NULL REFERENCES attribute_catalogue(code) ON DELETE CASCADE,
  profile  TEXT NOT NULL CHECK (profile IN ('National_elv', 'National_ens', 'National_doc',
           'National_dir', 'National_evs', 'National_eta', 'National_col')),
  PRIMARY KEY (code, profile)
) STRICT;
INSERT INTO catalogue_profiles(code, profile)
  SELECT c.code, p.column1 FROM attribute_catalogue AS c,
    (VALUES ('National_elv'), ('National_ens'), ('National_doc'), ('National_dir'),
            ('National_evs'), ('National_eta'), ('National_col')) AS p;
CREATE TRIGGER catalogue_profiles_insert AFTER INSERT ON catalogue_profiles
  BEGIN UPDATE policy_generation SET n = n + 1; END;
CREATE TRIGGER catalogue_profiles_update AFTER UPDATE ON catalogue_profiles
  BEGIN UPDATE policy_generation SET n = n + 1; END;
CREATE TRIGGER catalogue_profiles_delete AFTER DELETE ON catalogue_profiles
  BEGIN UPDATE policy_generation SET n = n + 1; END;

CREATE TABLE catalogue_history (
  id              INTEGER PRIMARY KEY,
  code            TEXT NOT NULL CHECK (length(code) BETWEEN 1 AND 32),
  action          TEXT NOT NULL CHECK (action IN ('add', 'update', 'delete')),
  at              TEXT NOT NULL,
  actor           TEXT NOT NULL,
  reason          TEXT NOT NULL CHECK (length(reason) > 0),
  policy_version  TEXT NOT NULL DEFAULT '',  -- the ceilings' version in force at the change
  before          TEXT,  -- the entry before, as JSON text; NULL when added
  after           TEXT,  -- the entry after, as JSON text; NULL when deleted
  CHECK ((action = 'add' AND before IS NULL AND after IS NOT NULL)
      OR (action = 'update' AND before IS NOT NULL AND after IS NOT NULL)
      OR (action = 'delete' AND before IS NOT NULL AND after IS NULL))
) STRICT;
CREATE INDEX catalogue_history_code ON catalogue_history(code, id);
)SQL";

// Version 13: contracts as publishers submit them, numbered revisions of which one per publisher
// is in force (store/contract_submissions.h, docs/adr/0024); the resources' logos.
constexpr const char* kV13 = R"SQL(
ALTER TABLE resources ADD COLUMN logo_url TEXT;
CREATE TABLE contract_submissions (
  id               INTEGER PRIMARY KEY,
  publisher_id     TEXT NOT NULL REFERENCES publishers(id) ON DELETE CASCADE,
  revision         INTEGER NOT NULL CHECK (revision > 0),
  status           TEXT NOT NULL CHECK (status IN ('submitted', 'approved', 'suspended',
                                                   'superseded', 'rejected')),
  document         TEXT NOT NULL,             -- the JSON document, as normalised by the broker
  flags            TEXT NOT NULL DEFAULT '[]', -- JSON: what the reviewer should look at
  submitted_by     TEXT NOT NULL,
  submitted_at     TEXT NOT NULL,
  decided_by       TEXT,
  decided_at       TEXT,
  decision_reason  TEXT NOT NULL DEFAULT '',
  UNIQUE (publisher_id, revision)
) STRICT;
CREATE UNIQUE INDEX contract_submissions_in_force ON contract_submissions(publisher_id)
  WHERE status IN ('approved', 'suspended');
CREATE INDEX contract_submissions_status ON contract_submissions(status, id);
)SQL";

// Version 14: usage statistics, daily aggregates of the audit's launch records that outlive its
// retention (store/usage.h, docs/usage.md): counts per dimension, no person.
constexpr const char* kV14 = R"SQL(
CREATE TABLE usage_daily (
  day           TEXT NOT NULL,  -- YYYY-MM-DD, UTC
  publisher_id  TEXT NOT NULL,
  resource_id   TEXT NOT NULL,
  profile       TEXT NOT NULL,
  uai           TEXT NOT NULL,
  outcome       TEXT NOT NULL CHECK (outcome IN ('released', 'refused')),
  reason        TEXT NOT NULL,  -- the refusal code; '' for a release
  launches      INTEGER NOT NULL CHECK (launches > 0),
  PRIMARY KEY (day, publisher_id, resource_id, profile, uai, outcome, reason)
) STRICT;
CREATE INDEX usage_daily_uai ON usage_daily(uai, day);
CREATE INDEX usage_daily_publisher ON usage_daily(publisher_id, day);
CREATE TABLE usage_attributes_daily (
  day           TEXT NOT NULL,
  publisher_id  TEXT NOT NULL,
  uai           TEXT NOT NULL,
  attribute     TEXT NOT NULL,
  releases      INTEGER NOT NULL CHECK (releases > 0),
  PRIMARY KEY (day, publisher_id, uai, attribute)
) STRICT;
CREATE TABLE usage_days (
  day    TEXT PRIMARY KEY,
  final  INTEGER NOT NULL CHECK (final IN (0, 1))  -- 1: its launch records can no longer change
) STRICT;
CREATE TABLE usage_state (
  id             INTEGER PRIMARY KEY CHECK (id = 1),
  purged_before  TEXT NOT NULL  -- the audit holds no row before this time
) STRICT;
)SQL";

// Version 15: peers' metadata fetched from sources (store/metadata_sources.h,
// docs/metadata-sources.md): the sources, which peer each feeds, the last good copy of each
// document. A copy whose content changes, a source changed or removed, or a binding moves the
// registry generation, so every node loads its registries again.
constexpr const char* kV15 = R"SQL(
CREATE TABLE metadata_sources (
  name                  TEXT PRIMARY KEY CHECK (length(name) BETWEEN 1 AND 64),
  kind                  TEXT NOT NULL CHECK (kind IN ('url', 'aggregate', 'mdq')),
  url                   TEXT NOT NULL,
  signer_pem            TEXT NOT NULL,
  max_validity_seconds  INTEGER NOT NULL CHECK (max_validity_seconds > 0),
  refresh_seconds       INTEGER NOT NULL CHECK (refresh_seconds > 0),
  added_at              TEXT NOT NULL
) STRICT;
CREATE TABLE peer_metadata_sources (
  peer_kind  TEXT NOT NULL CHECK (peer_kind IN ('ent', 'publisher')),
  peer_id    TEXT NOT NULL,
  source     TEXT NOT NULL REFERENCES metadata_sources(name),
  PRIMARY KEY (peer_kind, peer_id)
) STRICT;
CREATE TABLE metadata_copies (
  source         TEXT NOT NULL REFERENCES metadata_sources(name) ON DELETE CASCADE,
  entity_key     TEXT NOT NULL DEFAULT '',
  xml            TEXT,
  sha256         TEXT NOT NULL DEFAULT '',
  etag           TEXT NOT NULL DEFAULT '',
  last_modified  TEXT NOT NULL DEFAULT '',
  fetched_at     TEXT,
  checked_at     TEXT,
  valid_until    TEXT,
  cache_seconds  INTEGER,
  entity_count   INTEGER NOT NULL DEFAULT 0,
  attempted_at   TEXT,
  last_error     TEXT NOT NULL DEFAULT '',
  failures       INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (source, entity_key)
) STRICT;
CREATE TRIGGER metadata_sources_update_registry AFTER UPDATE ON metadata_sources
  BEGIN UPDATE registry_generation SET n = n + 1; END;
CREATE TRIGGER metadata_sources_delete_registry AFTER DELETE ON metadata_sources
  BEGIN UPDATE registry_generation SET n = n + 1; END;
CREATE TRIGGER peer_metadata_sources_insert_registry AFTER INSERT ON peer_metadata_sources
  BEGIN UPDATE registry_generation SET n = n + 1; END;
CREATE TRIGGER peer_metadata_sources_update_registry AFTER UPDATE ON peer_metadata_sources
  BEGIN UPDATE registry_generation SET n = n + 1; END;
CREATE TRIGGER peer_metadata_sources_delete_registry AFTER DELETE ON peer_metadata_sources
  BEGIN UPDATE registry_generation SET n = n + 1; END;
CREATE TRIGGER metadata_copies_insert_registry AFTER INSERT ON metadata_copies
  WHEN new.xml IS NOT NULL
  BEGIN UPDATE registry_generation SET n = n + 1; END;
CREATE TRIGGER metadata_copies_update_registry AFTER UPDATE OF sha256 ON metadata_copies
  WHEN old.sha256 IS NOT new.sha256
  BEGIN UPDATE registry_generation SET n = n + 1; END;
)SQL";

// Version 16: algorithm exceptions granted to one peer, with a reason and an expiry
// (store/algorithm_exceptions.h, docs/algorithm-exceptions.md); a change reloads the registries.
constexpr const char* kV16 = R"SQL(
CREATE TABLE algorithm_exceptions (
  peer_kind   TEXT NOT NULL CHECK (peer_kind IN ('ent', 'publisher')),
  peer_id     TEXT NOT NULL,
  algorithm   TEXT NOT NULL CHECK (algorithm IN ('rsa-sha1')),
  reason      TEXT NOT NULL CHECK (length(reason) > 0),
  expires_at  TEXT NOT NULL,
  granted_by  TEXT NOT NULL,
  granted_at  TEXT NOT NULL,
  PRIMARY KEY (peer_kind, peer_id, algorithm)
) STRICT;
CREATE TRIGGER algorithm_exceptions_insert_registry AFTER INSERT ON algorithm_exceptions
  BEGIN UPDATE registry_generation SET n = n + 1; END;
CREATE TRIGGER algorithm_exceptions_update_registry AFTER UPDATE ON algorithm_exceptions
  BEGIN UPDATE registry_generation SET n = n + 1; END;
CREATE TRIGGER algorithm_exceptions_delete_registry AFTER DELETE ON algorithm_exceptions
  BEGIN UPDATE registry_generation SET n = n + 1; END;
)SQL";

// Version 17: a copy's document moves to the last column. SQLite stores a row's columns in order
// and a 16 MiB document spills over a chain of overflow pages, so every column after it (the
// ETag, the dates, the failures) was only reachable by reading the whole chain: a due check or
// `garde metadata status` read each aggregate in full (docs/performance.md, "metadata
// aggregates"). The table is rebuilt with the same columns, `xml` last, and its triggers again.
constexpr const char* kV17 = R"SQL(
CREATE TABLE metadata_copies_v17 (
  source         TEXT NOT NULL REFERENCES metadata_sources(name) ON DELETE CASCADE,
  entity_key     TEXT NOT NULL DEFAULT '',
  sha256         TEXT NOT NULL DEFAULT '',
  etag           TEXT NOT NULL DEFAULT '',
  last_modified  TEXT NOT NULL DEFAULT '',
  fetched_at     TEXT,
  checked_at     TEXT,
  valid_until    TEXT,
  cache_seconds  INTEGER,
  entity_count   INTEGER NOT NULL DEFAULT 0,
  attempted_at   TEXT,
  last_error     TEXT NOT NULL DEFAULT '',
  failures       INTEGER NOT NULL DEFAULT 0,
  xml            TEXT,
  PRIMARY KEY (source, entity_key)
) STRICT;
INSERT INTO metadata_copies_v17(source, entity_key, sha256, etag, last_modified, fetched_at,
                                checked_at, valid_until, cache_seconds, entity_count,
                                attempted_at, last_error, failures, xml)
  SELECT source, entity_key, sha256, etag, last_modified, fetched_at, checked_at, valid_until,
         cache_seconds, entity_count, attempted_at, last_error, failures, xml
  FROM metadata_copies;
DROP TABLE metadata_copies;
ALTER TABLE metadata_copies_v17 RENAME TO metadata_copies;
CREATE TRIGGER metadata_copies_insert_registry AFTER INSERT ON metadata_copies
  WHEN new.xml IS NOT NULL
  BEGIN UPDATE registry_generation SET n = n + 1; END;
CREATE TRIGGER metadata_copies_update_registry AFTER UPDATE OF sha256 ON metadata_copies
  WHEN old.sha256 IS NOT new.sha256
  BEGIN UPDATE registry_generation SET n = n + 1; END;
)SQL";

// Version 18: a contract's declarations keep the order the publisher wrote them in as a column
// (it was SQLite's insertion order, the rowid, which PostgreSQL has no equivalent of).
constexpr const char* kV18 = R"SQL(
ALTER TABLE contract_declarations ADD COLUMN position INTEGER NOT NULL DEFAULT 0;
UPDATE contract_declarations SET position = rowid;
)SQL";

const std::vector<Migration> kMigrations = {
    {1, "directory, contracts, policy, subscriptions", kV1},
    {2, "audit trail and launch indexes", kV2},
    {3, "policy generation counter", kV3},
    {4, "resource registry generation counter", kV4},
    {5, "ENT identifier source and AuthnRequest signing", kV5},
    {6, "caller client certificates", kV6},
    {7, "directory feeds: establishment MEFs and subjects, assignment managers", kV7},
    {8, "assignment index, peer registry generation", kV8},
    {9, "local admin accounts and sign-in throttling", kV9},
    {10, "audit subject digests", kV10},
    {11, "ceiling proposals (four eyes)", kV11},
    {12, "catalogue profiles and history", kV12},
    {13, "contract submissions and revisions, resource logos", kV13},
    {14, "usage statistics (daily aggregates)", kV14},
    {15, "metadata sources and their last good copies", kV15},
    {16, "algorithm exceptions per peer", kV16},
    {17, "metadata copies: the document in the last column", kV17},
    {18, "contract declarations: their position", kV18},
};

constexpr const char* kSchemaVersionTable = R"SQL(
CREATE TABLE IF NOT EXISTS schema_version (
  version     INTEGER PRIMARY KEY,
  name        TEXT NOT NULL,
  applied_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
) STRICT;
)SQL";

}  // namespace

const std::vector<Migration>& migrations() { return kMigrations; }

int latestSchemaVersion() { return kMigrations.back().version; }

core::Result<int> schemaVersion(Db& db) {
  GARDE_TRY(db.execScript(db.engine() == Engine::kPostgresql ? postgresqlSchemaVersionTable()
                                                             : kSchemaVersionTable));
  GARDE_ASSIGN_OR_RETURN(Stmt stmt,
                         db.prepare("SELECT coalesce(max(version), 0) FROM schema_version"));
  GARDE_TRY(stmt.step());
  return static_cast<int>(stmt.int64(0));
}

core::Status probeDatabase(const std::string& path, int busy_timeout_ms) {
  OpenOptions options;
  options.read_only = true;
  options.create = false;
  options.busy_timeout_ms = busy_timeout_ms;
  GARDE_ASSIGN_OR_RETURN(Db db, Db::open(path, options));
  auto stmt = db.prepare("SELECT coalesce(max(version), 0) FROM schema_version");
  if (!stmt) {
    return core::fail(core::ErrorCode::kStoreError, "the database has no schema_version table");
  }
  GARDE_TRY(stmt->step());
  const auto version = static_cast<int>(stmt->int64(0));
  if (version != latestSchemaVersion()) {
    return core::fail(core::ErrorCode::kStoreError,
                      "the database is at schema version " + std::to_string(version) +
                          ", this binary needs " + std::to_string(latestSchemaVersion()));
  }
  return {};
}

namespace {

core::Status applyMigration(Db& db, const Migration& m) {
  if (auto s = db.execScript(m.sql); !s) {
    return core::fail(core::ErrorCode::kStoreError,
                      "migration " + std::to_string(m.version) + " failed: " + s.error().detail);
  }
  GARDE_ASSIGN_OR_RETURN(Stmt record,
                         db.prepare("INSERT INTO schema_version(version, name) VALUES (?1, ?2)"));
  GARDE_TRY(record.bindAll(m.version, m.name).run());
  return {};
}

// One transaction for the whole climb, under the writers' advisory lock: a second node starting
// at the same time waits, then finds the schema at its version and has nothing to do.
core::Status climbPostgresql(Db& db, int target) {
  GARDE_ASSIGN_OR_RETURN(Transaction tx, Transaction::begin(db));
  GARDE_ASSIGN_OR_RETURN(const int current, schemaVersion(db));
  if (current > latestSchemaVersion()) {
    return core::fail(core::ErrorCode::kStoreError,
                      "database schema version " + std::to_string(current) +
                          " is newer than this binary's " + std::to_string(latestSchemaVersion()));
  }
  for (const auto& m : postgresqlMigrations()) {
    if (m.version <= current || m.version > target) {
      continue;
    }
    GARDE_TRY(applyMigration(db, m));
    kLog.info("schema migrated", {{"version", std::to_string(m.version)}, {"name", m.name}});
  }
  return tx.commit();
}

core::Status migratePostgresql(Db& db, int target) {
  const auto& steps = postgresqlMigrations();
  if (target < steps.front().version) {
    return core::fail(core::ErrorCode::kStoreError,
                      "a PostgreSQL store starts at schema version " +
                          std::to_string(steps.front().version));
  }
  // Another node may be migrating: wait for it longer than for an ordinary writer, then put the
  // connection's own bound back.
  GARDE_ASSIGN_OR_RETURN(Stmt saved, db.prepare("SELECT current_setting('lock_timeout')"));
  GARDE_ASSIGN_OR_RETURN(const bool has_setting, saved.step());
  const std::string lock_timeout = has_setting ? saved.text(0) : "0";
  GARDE_TRY(saved.run());
  GARDE_TRY(db.execScript("SET lock_timeout = '5min'"));
  const core::Status climbed = climbPostgresql(db, target);
  GARDE_ASSIGN_OR_RETURN(Stmt restore, db.prepare("SELECT set_config('lock_timeout', ?1, false)"));
  GARDE_TRY(restore.bind(1, lock_timeout).run());
  return climbed;
}

}  // namespace

core::Status migrate(Db& db, int target) {
  if (target < 0) {
    target = latestSchemaVersion();
  }
  if (db.engine() == Engine::kPostgresql) {
    return migratePostgresql(db, target);
  }
  GARDE_ASSIGN_OR_RETURN(const int current, schemaVersion(db));
  if (current > latestSchemaVersion()) {
    return core::fail(core::ErrorCode::kStoreError,
                      "database schema version " + std::to_string(current) +
                          " is newer than this binary's " + std::to_string(latestSchemaVersion()));
  }
  for (const auto& m : kMigrations) {
    if (m.version <= current || m.version > target) {
      continue;
    }
    GARDE_ASSIGN_OR_RETURN(Transaction tx, Transaction::begin(db));
    GARDE_TRY(applyMigration(db, m));
    GARDE_TRY(tx.commit());
    kLog.info("schema migrated", {{"version", std::to_string(m.version)}, {"name", m.name}});
  }
  return {};
}

}  // namespace garde::store
