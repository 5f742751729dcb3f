-- syncd's SQLite schema, as an ordered list of migrations.
--
-- Each block starts with a "-- migration N: why" line and runs once, in one
-- transaction, when PRAGMA user_version < N. Never edit an applied block:
-- add a new one. Amounts are whole rupiah INTEGERs; rates are TEXT decimals;
-- times are RFC 3339 UTC TEXT with nanoseconds, which sort as text.

-- migration 1: supplier catalogs, cost history and sync bookkeeping

-- A supplier's grouping of products: a Senpay provider or an Isipay product.
CREATE TABLE supplier_games (
    supplier    TEXT NOT NULL,
    code        TEXT NOT NULL,
    name        TEXT NOT NULL,
    active      INTEGER NOT NULL CHECK (active IN (0, 1)),
    icon_url    TEXT NOT NULL DEFAULT '',
    form        TEXT NOT NULL DEFAULT '[]', -- JSON array of catalog.Field
    first_seen  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    removed_at  TEXT,                       -- gone from the supplier's listing
    PRIMARY KEY (supplier, code)
) STRICT;

-- One product a supplier sells. Rows are never deleted: an offer that
-- disappears is marked removed, so history and order attempts keep their
-- referent, and an offer that comes back keeps its id.
CREATE TABLE offers (
    id               INTEGER PRIMARY KEY,
    supplier         TEXT NOT NULL,
    code             TEXT NOT NULL,
    game_code        TEXT NOT NULL,
    name             TEXT NOT NULL,
    cost             INTEGER NOT NULL CHECK (cost >= 0), -- rounded up
    cost_raw         TEXT NOT NULL,                       -- as sent
    active           INTEGER NOT NULL CHECK (active IN (0, 1)),
    process_duration TEXT NOT NULL DEFAULT '',
    first_seen       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    removed_at       TEXT,
    UNIQUE (supplier, code)
) STRICT;

CREATE INDEX offers_game ON offers (supplier, game_code);

-- Every cost an offer has had. old_cost is NULL for the first sighting.
CREATE TABLE cost_history (
    id        INTEGER PRIMARY KEY,
    offer_id  INTEGER NOT NULL REFERENCES offers (id),
    old_cost  INTEGER,
    new_cost  INTEGER NOT NULL,
    raw       TEXT NOT NULL,
    source    TEXT NOT NULL CHECK (source IN ('sync', 'webhook', 'detail')),
    at        TEXT NOT NULL
) STRICT;

CREATE INDEX cost_history_offer ON cost_history (offer_id, at);

-- One row per sync attempt, for operators and for staleness.
CREATE TABLE sync_runs (
    id           INTEGER PRIMARY KEY,
    supplier     TEXT NOT NULL,
    started_at   TEXT NOT NULL,
    finished_at  TEXT NOT NULL,
    ok           INTEGER NOT NULL CHECK (ok IN (0, 1)),
    duration_ms  INTEGER NOT NULL,
    seen         INTEGER NOT NULL DEFAULT 0,
    added        INTEGER NOT NULL DEFAULT 0,
    changed      INTEGER NOT NULL DEFAULT 0,
    removed      INTEGER NOT NULL DEFAULT 0,
    error        TEXT NOT NULL DEFAULT ''
) STRICT;

CREATE INDEX sync_runs_supplier ON sync_runs (supplier, id);

-- migration 2: canonical games and items, offer links, API tokens

-- A game as storefronts see it, e.g. mobile-legends. Ids never change.
CREATE TABLE games (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    icon_url    TEXT NOT NULL DEFAULT '',
    -- Isipay takes one free-form "data" string; this template builds it
    -- from the canonical form, e.g. "{user_id}({server})".
    isipay_data_format TEXT NOT NULL DEFAULT '',
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
) STRICT;

-- Which canonical game a supplier's game belongs to.
CREATE TABLE game_links (
    supplier   TEXT NOT NULL,
    game_code  TEXT NOT NULL,
    game_id    TEXT NOT NULL REFERENCES games (id),
    method     TEXT NOT NULL,              -- name | manual
    manual     INTEGER NOT NULL DEFAULT 0 CHECK (manual IN (0, 1)),
    updated_at TEXT NOT NULL,
    PRIMARY KEY (supplier, game_code)
) STRICT;

-- A sellable item, e.g. mobile-legends/diamonds-86. Ids are never reused:
-- rows are never deleted, only left without offers.
CREATE TABLE items (
    id          TEXT PRIMARY KEY,
    game_id     TEXT NOT NULL REFERENCES games (id),
    match_key   TEXT NOT NULL,  -- what automatic matching links by; '' for items made by a split
    name        TEXT NOT NULL,
    renamed     INTEGER NOT NULL DEFAULT 0 CHECK (renamed IN (0, 1)),
    chosen_offer_id INTEGER REFERENCES offers (id), -- remembered for hysteresis
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
) STRICT;

CREATE UNIQUE INDEX items_match_key ON items (game_id, match_key) WHERE match_key != '';

-- Which item an offer is, kept on the offer row itself so the snapshot
-- loads offers and links in one sequential scan. A manual link is never
-- changed by matching; a sync never touches these columns.
ALTER TABLE offers ADD COLUMN item_id TEXT REFERENCES items (id);
ALTER TABLE offers ADD COLUMN link_method TEXT NOT NULL DEFAULT '';      -- sku | denomination | unmatched | manual
ALTER TABLE offers ADD COLUMN link_confidence TEXT NOT NULL DEFAULT '';  -- decimal string in [0, 1]
ALTER TABLE offers ADD COLUMN link_manual INTEGER NOT NULL DEFAULT 0 CHECK (link_manual IN (0, 1));
ALTER TABLE offers ADD COLUMN link_review INTEGER NOT NULL DEFAULT 0 CHECK (link_review IN (0, 1)); -- waiting for a merchandiser
ALTER TABLE offers ADD COLUMN link_decided_by TEXT NOT NULL DEFAULT '';
ALTER TABLE offers ADD COLUMN link_updated_at TEXT;

-- Offers not linked yet: a tiny index that makes "anything to link?" free.
CREATE INDEX offers_unlinked ON offers (id) WHERE item_id IS NULL;

-- Bearer tokens, stored as SHA-256 of the secret.
CREATE TABLE tokens (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    role        TEXT NOT NULL CHECK (role IN ('storefront', 'merchandiser', 'admin')),
    hash        BLOB NOT NULL UNIQUE,
    created_at  TEXT NOT NULL,
    revoked_at  TEXT
) STRICT;

-- Small named counters and settings that must outlive a restart, such as
-- the catalog snapshot version.
CREATE TABLE meta (
    key    TEXT PRIMARY KEY,
    value  TEXT NOT NULL
) STRICT;

-- migration 3: margin rules, price tiers, rule audit, current prices and their history

-- Storefront price tiers. "public" always exists and cannot be removed.
CREATE TABLE tiers (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    created_at  TEXT NOT NULL
) STRICT;

INSERT INTO tiers (id, name, created_at) VALUES ('public', 'Public', '1970-01-01T00:00:00.000000000Z');

-- Margin rules, each stored as its contract JSON (rates as decimal
-- strings, amounts as integers). A delete keeps the row for the audit.
CREATE TABLE rules (
    id          TEXT PRIMARY KEY,
    version     INTEGER NOT NULL CHECK (version >= 1),
    body        TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    deleted_at  TEXT
) STRICT;

-- Who changed which rule when, with the rule before and after.
CREATE TABLE rule_audit (
    id        INTEGER PRIMARY KEY,
    rule_id   TEXT NOT NULL,
    version   INTEGER NOT NULL,
    action    TEXT NOT NULL CHECK (action IN ('create', 'update', 'delete')),
    actor     TEXT NOT NULL,
    at        TEXT NOT NULL,
    before    TEXT,
    after     TEXT
) STRICT;

CREATE INDEX rule_audit_rule ON rule_audit (rule_id, id);

-- The price each item last had in each tier (NULL: not sellable, with the
-- reason in blocked), so a restart can tell what changed.
CREATE TABLE prices (
    item_id     TEXT NOT NULL,
    tier        TEXT NOT NULL,
    price       INTEGER,
    blocked     TEXT NOT NULL DEFAULT '',
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (item_id, tier)
) STRICT, WITHOUT ROWID;

-- Every change of an item's price in a tier, and what caused it.
CREATE TABLE price_history (
    id         INTEGER PRIMARY KEY,
    item_id    TEXT NOT NULL,
    tier       TEXT NOT NULL,
    old_price  INTEGER,
    new_price  INTEGER,
    cause      TEXT NOT NULL,
    at         TEXT NOT NULL
) STRICT;

CREATE INDEX price_history_item ON price_history (item_id, tier, id);

-- migration 4: offers by item, for repricing the items a sync or webhook touched

CREATE INDEX offers_item ON offers (item_id);

-- migration 5: when each offer's cost was true, so a late webhook cannot overwrite a newer cost

-- For a sync: when the sync started; for a price_update webhook: its
-- sent_at. A cost update dated before this is out of order and ignored.
ALTER TABLE offers ADD COLUMN cost_at TEXT NOT NULL DEFAULT '';

-- Deliveries of supplier webhooks, stored raw before they are applied.
CREATE TABLE webhook_inbox (
    id           INTEGER PRIMARY KEY,
    supplier     TEXT NOT NULL,
    kind         TEXT NOT NULL,              -- price_update | transaction_status | unknown
    digest       TEXT NOT NULL,              -- SHA-256 of the body: a duplicate delivery is the same digest
    body         TEXT NOT NULL,
    remote       TEXT NOT NULL DEFAULT '',
    received_at  TEXT NOT NULL,
    processed_at TEXT,
    outcome      TEXT NOT NULL DEFAULT '',   -- what applying it did, or why it was refused
    UNIQUE (supplier, digest)
) STRICT;

CREATE INDEX webhook_inbox_pending ON webhook_inbox (id) WHERE processed_at IS NULL;
