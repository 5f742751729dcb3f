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

-- migration 6: storefront orders, their supplier attempts and events, the notification outbox, supplier balances

-- A storefront's order. reference is the storefront's own key, unique per
-- storefront (the name of the token that placed it: a rotated token keeps
-- its name): the same reference with the same request (request_hash) is
-- the same order.
CREATE TABLE orders (
    id            TEXT PRIMARY KEY,
    reference     TEXT NOT NULL,
    request_hash  TEXT NOT NULL,              -- SHA-256 of the canonical request
    storefront    TEXT NOT NULL DEFAULT '',
    item_id       TEXT NOT NULL,
    game_id       TEXT NOT NULL,
    item_name     TEXT NOT NULL,
    tier          TEXT NOT NULL,
    fields        TEXT NOT NULL,              -- JSON object of canonical form values
    price         INTEGER NOT NULL CHECK (price > 0),
    status        TEXT NOT NULL CHECK (status IN ('pending', 'processing', 'success', 'failed', 'attention')),
    reason        TEXT NOT NULL DEFAULT '',   -- why failed or attention; empty otherwise
    supplier      TEXT NOT NULL DEFAULT '',   -- who delivered (or holds the open attempt)
    cost          INTEGER,                    -- what that supplier charges
    sn            TEXT NOT NULL DEFAULT '',   -- the supplier's serial / proof of delivery
    explain       TEXT NOT NULL DEFAULT '',   -- the price's explain trace when ordered
    catalog_version INTEGER NOT NULL DEFAULT 0,
    version       INTEGER NOT NULL DEFAULT 1, -- bumps on every status change
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    settle_by     TEXT NOT NULL,              -- after this, no new supplier is tried
    UNIQUE (storefront, reference)
) STRICT;

CREATE INDEX orders_status ON orders (status, created_at);
CREATE INDEX orders_created ON orders (created_at);

-- One try at one supplier. Stored ('prepared') before the supplier is
-- called; supplier_ref is derived from the order and seq, so a restart
-- resends the same reference, never a new one.
CREATE TABLE order_attempts (
    order_id      TEXT NOT NULL REFERENCES orders (id),
    seq           INTEGER NOT NULL,
    supplier      TEXT NOT NULL,
    offer_id      INTEGER NOT NULL,
    product_code  TEXT NOT NULL,
    cost          INTEGER NOT NULL,
    supplier_ref  TEXT NOT NULL UNIQUE,       -- partner_reference / referenceNumber
    -- prepared: stored, maybe sent; rejected: not taken; unknown: maybe
    -- taken; taken: the supplier has it (a resend was refused as a
    -- duplicate) but gave no id; accepted: taken, with the supplier's id;
    -- succeeded / failed: final.
    state         TEXT NOT NULL CHECK (state IN ('prepared', 'rejected', 'unknown', 'taken', 'accepted', 'succeeded', 'failed')),
    purchase      TEXT NOT NULL,              -- JSON of what is sent, so a resend sends the same
    supplier_txn  TEXT NOT NULL DEFAULT '',   -- Senpay reference / Isipay invoiceNumber
    supplier_status TEXT NOT NULL DEFAULT '', -- as the supplier last said it
    message       TEXT NOT NULL DEFAULT '',
    sn            TEXT NOT NULL DEFAULT '',
    checks        INTEGER NOT NULL DEFAULT 0, -- status polls or reconcile tries so far
    next_check_at TEXT,                       -- NULL: nothing to poll
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    PRIMARY KEY (order_id, seq)
) STRICT;

CREATE INDEX order_attempts_due ON order_attempts (next_check_at) WHERE next_check_at IS NOT NULL;
CREATE INDEX order_attempts_txn ON order_attempts (supplier, supplier_txn) WHERE supplier_txn != '';

-- What happened to an order: routing decisions, supplier answers, status
-- changes, operator settlements. Append-only.
CREATE TABLE order_events (
    id        INTEGER PRIMARY KEY,
    order_id  TEXT NOT NULL REFERENCES orders (id),
    at        TEXT NOT NULL,
    kind      TEXT NOT NULL,
    actor     TEXT NOT NULL DEFAULT 'syncd',
    detail    TEXT NOT NULL                 -- JSON
) STRICT;

CREATE INDEX order_events_order ON order_events (order_id, id);

-- Storefront notifications of order status changes, written in the same
-- transaction as the change and delivered until the storefront takes them.
CREATE TABLE notify_outbox (
    id           INTEGER PRIMARY KEY,
    delivery_id  TEXT NOT NULL UNIQUE,
    order_id     TEXT NOT NULL REFERENCES orders (id),
    status       TEXT NOT NULL,             -- the order status it announces
    body         TEXT NOT NULL,             -- the exact bytes signed and sent
    attempts     INTEGER NOT NULL DEFAULT 0,
    next_at      TEXT,                      -- NULL once delivered or given up
    delivered_at TEXT,
    failed_at    TEXT,                      -- given up
    last_error   TEXT NOT NULL DEFAULT '',
    created_at   TEXT NOT NULL
) STRICT;

CREATE INDEX notify_outbox_due ON notify_outbox (next_at) WHERE next_at IS NOT NULL;

-- A supplier's balance as last asked, for operators and for skipping an
-- attempt the balance cannot pay.
CREATE TABLE supplier_balances (
    supplier    TEXT PRIMARY KEY,
    balance     INTEGER,                    -- NULL: unknown
    error       TEXT NOT NULL DEFAULT '',
    checked_at  TEXT NOT NULL
) STRICT;

-- migration 7: notification outbox by order and given-up deliveries, for listing and the metrics scrape

CREATE INDEX notify_outbox_order ON notify_outbox (order_id, id);
CREATE INDEX notify_outbox_failed ON notify_outbox (failed_at) WHERE failed_at IS NOT NULL;

-- migration 8: the price tiers each storefront token may use; storefront tokens made before get public only

-- A join table rather than a JSON column on tokens: the foreign key keeps
-- every grant naming a tier that exists, merchandiser and admin tokens
-- (which use every tier) simply have no rows, and "who may buy at
-- wholesale" is one query.
CREATE TABLE token_tiers (
    token_id  INTEGER NOT NULL REFERENCES tokens (id),
    tier      TEXT NOT NULL REFERENCES tiers (id),
    PRIMARY KEY (token_id, tier)
) STRICT, WITHOUT ROWID;

INSERT INTO token_tiers (token_id, tier) SELECT id, 'public' FROM tokens WHERE role = 'storefront';

-- migration 9: supplier cost moves too large to believe on one word, held until a sync confirms them or a merchandiser accepts them

-- An offer whose cost moved further from its last confirmed cost than
-- SYNCD_MAX_COST_FALL / SYNCD_MAX_COST_RISE allow is held: offers.cost (and
-- cost_history) keep what the supplier said, confirmed_cost the last cost
-- believed, and the offer is not sold nor ordered from until a later sync
-- confirms the move or a merchandiser accepts it. NULL: not held.
ALTER TABLE offers ADD COLUMN confirmed_cost INTEGER CHECK (confirmed_cost >= 0);
ALTER TABLE offers ADD COLUMN held_since TEXT;   -- when the hold began
ALTER TABLE offers ADD COLUMN held_source TEXT;  -- sync | webhook: who said the held cost

CREATE INDEX offers_held ON offers (id) WHERE confirmed_cost IS NOT NULL;

-- Every hold begun, moved and ended, and who ended it: the guard's audit.
-- old_cost is the last confirmed cost, new_cost what the supplier said.
CREATE TABLE cost_hold_events (
    id        INTEGER PRIMARY KEY,
    offer_id  INTEGER NOT NULL REFERENCES offers (id),
    event     TEXT NOT NULL CHECK (event IN ('held', 'moved', 'confirmed', 'returned', 'accepted')),
    old_cost  INTEGER NOT NULL,
    new_cost  INTEGER NOT NULL,
    source    TEXT NOT NULL CHECK (source IN ('sync', 'webhook', 'merchandiser')),
    actor     TEXT NOT NULL DEFAULT 'syncd',  -- the token's name for an accept
    note      TEXT NOT NULL DEFAULT '',
    at        TEXT NOT NULL
) STRICT;

CREATE INDEX cost_hold_events_offer ON cost_hold_events (offer_id, id);

-- migration 10: item aliases, for items merged when the matching policy changed (issue 13)

-- An item id that now names another item: the matching policy changed
-- (a bonus split is no longer identity) and two items turned out to be
-- one. The older id stays the item's; the other keeps answering through
-- this row (GET /v1/items/{alias}, orders and rules placed under it).
-- The alias's items row stays too, without offers: ids are never reused.
CREATE TABLE item_aliases (
    alias_id   TEXT PRIMARY KEY REFERENCES items (id),
    item_id    TEXT NOT NULL REFERENCES items (id),
    match_key  TEXT NOT NULL,  -- the key both items have under the policy that merged them
    merged_at  TEXT NOT NULL
) STRICT;

CREATE INDEX item_aliases_item ON item_aliases (item_id);

-- migration 11: supplier balances estimated between checks, low-balance warnings, operator alerts

-- balance is the estimate routing and the catalog use: read_balance (the
-- last balance the supplier told, NULL if never) less what orders bought
-- since, plus what failed orders refunded. A warning is on while low_since
-- is set: the estimate fell below low_threshold then, and it ends when the
-- estimate is back above that threshold plus SYNCD_BALANCE_MARGIN.
ALTER TABLE supplier_balances ADD COLUMN read_balance INTEGER;
ALTER TABLE supplier_balances ADD COLUMN low_since TEXT;
ALTER TABLE supplier_balances ADD COLUMN low_threshold INTEGER;
UPDATE supplier_balances SET read_balance = balance;

-- What each supplier was sent lately: the rate of spend a threshold of
-- "enough for N hours" is measured with, and the purchases made while a
-- balance was being read.
CREATE INDEX order_attempts_spend ON order_attempts (supplier, created_at);

-- Operator alerts (a supplier's balance running low, and recovering),
-- written in the transaction that records the crossing and POSTed to
-- SYNCD_ALERT_URL until taken, like the storefront's notify_outbox.
CREATE TABLE alert_outbox (
    id           INTEGER PRIMARY KEY,
    delivery_id  TEXT NOT NULL UNIQUE,
    event        TEXT NOT NULL,             -- supplier.balance_low | supplier.balance_ok
    body         TEXT NOT NULL,             -- the exact bytes signed and sent
    attempts     INTEGER NOT NULL DEFAULT 0,
    next_at      TEXT,                      -- NULL once delivered or given up
    delivered_at TEXT,
    failed_at    TEXT,
    last_error   TEXT NOT NULL DEFAULT '',
    created_at   TEXT NOT NULL
) STRICT;

CREATE INDEX alert_outbox_due ON alert_outbox (next_at) WHERE next_at IS NOT NULL;

-- migration 12: merchandisers' game links and splits, audited and permanent (issue 13)

-- Who placed a supplier game by hand (game_links.manual = 1, method
-- 'manual'): no sync or start-up step moves such a link again.
ALTER TABLE game_links ADD COLUMN decided_by TEXT NOT NULL DEFAULT '';

-- Every game link and split a merchandiser made: which supplier game,
-- from which canonical game to which, who, when, and what it did to the
-- items (JSON: [{"item", "into", "offers", "merged"}]). Append-only.
CREATE TABLE game_decisions (
    id         INTEGER PRIMARY KEY,
    supplier   TEXT NOT NULL,
    game_code  TEXT NOT NULL,
    name       TEXT NOT NULL,              -- the supplier game's name then
    action     TEXT NOT NULL CHECK (action IN ('link', 'split')),
    from_game  TEXT NOT NULL,
    to_game    TEXT NOT NULL REFERENCES games (id),
    actor      TEXT NOT NULL,
    at         TEXT NOT NULL,
    items      TEXT NOT NULL DEFAULT '[]'
) STRICT;

CREATE INDEX game_decisions_game ON game_decisions (supplier, game_code, id);

-- migration 13: a sync refused for syncd's credentials, told apart from other failed syncs

-- Any other failed sync leaves the supplier's offers on sale while its last
-- success is younger than SYNCD_STALE_AFTER; one the supplier refused for
-- syncd's credentials (a bad key, an address not whitelisted) stops them at
-- once, since its order endpoint would refuse syncd too.
ALTER TABLE sync_runs ADD COLUMN unauthorized INTEGER NOT NULL DEFAULT 0 CHECK (unauthorized IN (0, 1));

-- migration 14: per-supplier game settings, where a supplier adapter declares them (the supplier registry, issue 14)

-- What a supplier needs per game, beyond the game's form, to take an
-- order, by the key its adapter declares: Isipay's 'data_format', the
-- template building its one free-form "data" string from the form. A
-- game without a row takes the adapter's default.
CREATE TABLE game_supplier_settings (
    game_id    TEXT NOT NULL REFERENCES games (id),
    supplier   TEXT NOT NULL,
    key        TEXT NOT NULL,
    value      TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (game_id, supplier, key)
) STRICT;

INSERT INTO game_supplier_settings (game_id, supplier, key, value, updated_at)
    SELECT id, 'isipay', 'data_format', isipay_data_format, updated_at FROM games WHERE isipay_data_format != '';

ALTER TABLE games DROP COLUMN isipay_data_format;

-- A purchase is stored as sent and resent as stored after a crash. Older
-- rows carry the game's template as "isipay_data"; it becomes the
-- settings of an Isipay attempt ({"settings": {"data_format": ...}}),
-- which the adapter reads, and goes from the others, which never used it.
UPDATE order_attempts
    SET purchase = json_set(json_remove(purchase, '$.isipay_data'), '$.settings',
        json_object('data_format', json_extract(purchase, '$.isipay_data')))
    WHERE supplier = 'isipay' AND json_type(purchase, '$.isipay_data') = 'text';

UPDATE order_attempts SET purchase = json_remove(purchase, '$.isipay_data')
    WHERE json_type(purchase, '$.isipay_data') IS NOT NULL;

-- migration 15: reports: hourly roll-up of final orders, the events scorecards count, supplier balance reads kept

-- The order report's figures of every order that reached a final status
-- (success, failed), by the UTC hour the order was created in and by one
-- dimension: dim 'all' (key ''), 'game', 'supplier' or 'storefront' (key:
-- its id or name). Reading a month of a million orders row by row takes
-- seconds here; a month of these rows takes milliseconds. The reports
-- package folds orders in as their final status event appears
-- (meta.report_folded_event is the last order_events.id folded) and reads
-- the orders not folded yet, still open or final since, from orders
-- itself, so a report is exact whenever it runs. Amounts are rupiah;
-- durations is each successful order's time from intake to success, in
-- milliseconds, as unsigned varints.
CREATE TABLE report_hours (
    hour       TEXT NOT NULL,            -- 2026-12-01T05: the orders' creation, UTC
    dim        TEXT NOT NULL CHECK (dim IN ('all', 'game', 'supplier', 'storefront')),
    key        TEXT NOT NULL,
    succeeded  INTEGER NOT NULL,
    failed     INTEGER NOT NULL,
    revenue    INTEGER NOT NULL,
    cost       INTEGER NOT NULL,
    settled    INTEGER NOT NULL,         -- settled by an operator
    fallbacks  INTEGER NOT NULL,         -- sent to a second attempt
    unknown    INTEGER NOT NULL,         -- a send's outcome was unknown
    durations  BLOB NOT NULL,
    PRIMARY KEY (hour, dim, key)
) STRICT, WITHOUT ROWID;

-- The scorecards count, over a window, the sends whose outcome was
-- unknown and the routing decisions: partial indexes of just those
-- events, so neither a scorecard nor an order write touches an index of
-- every event.
CREATE INDEX order_events_unknown ON order_events (at)
    WHERE kind = 'attempt' AND json_extract(detail, '$.outcome') IN ('unknown', 'taken');
CREATE INDEX order_events_route ON order_events (at) WHERE kind = 'route';

-- Every balance a supplier told syncd, for the scorecards' balance trend:
-- supplier_balances keeps only the last. Written by the triggers below in
-- the transaction that records the read, so no code path can forget it;
-- reads older than 90 days go as new ones come.
CREATE TABLE balance_reads (
    id        INTEGER PRIMARY KEY,
    supplier  TEXT NOT NULL,
    balance   INTEGER NOT NULL,
    at        TEXT NOT NULL
) STRICT;

CREATE INDEX balance_reads_supplier ON balance_reads (supplier, at);

CREATE TRIGGER balance_reads_insert AFTER INSERT ON supplier_balances
    WHEN NEW.read_balance IS NOT NULL AND NEW.error = ''
BEGIN
    INSERT INTO balance_reads (supplier, balance, at) VALUES (NEW.supplier, NEW.read_balance, NEW.checked_at);
END;

CREATE TRIGGER balance_reads_update AFTER UPDATE OF read_balance, checked_at ON supplier_balances
    WHEN NEW.read_balance IS NOT NULL AND NEW.error = ''
BEGIN
    INSERT INTO balance_reads (supplier, balance, at) VALUES (NEW.supplier, NEW.read_balance, NEW.checked_at);
    DELETE FROM balance_reads WHERE supplier = NEW.supplier
        AND at < strftime('%Y-%m-%dT%H:%M:%fZ', NEW.checked_at, '-90 days');
END;

-- migration 16: order routing leases, so one instance at a time routes an order (issue 15)

-- Who routes an order now, and until when. An instance takes the lease
-- before a routing step (a send, a resend, a status check, the next
-- supplier) and renews it while the step runs; another instance takes an
-- order only once its lease has expired, so two never send the same
-- attempt, and an order whose instance died is resumed by another after
-- at most one lease. Every write of a step first checks, under the row's
-- lock, that the lease is still its own. The row goes when the step ends;
-- a row left behind is a step cut short. Times are syncd.FormatTime's.
CREATE TABLE order_leases (
    order_id    TEXT PRIMARY KEY REFERENCES orders (id),
    owner       TEXT NOT NULL,            -- the instance (orders.Config.Instance)
    expires_at  TEXT NOT NULL,
    taken_at    TEXT NOT NULL
) STRICT, WITHOUT ROWID;

-- migration 17: console sessions, shared by every instance

-- A signed-in console session. The browser's cookie holds a random id;
-- the row is keyed by the id's SHA-256, so a copy of this table (a backup,
-- a dump) signs no one in. token_hash is the SHA-256 of the token signed in
-- with (tokens.hash), never the token: each request checks that the token
-- still authenticates, and revoking it deletes its sessions. flash is the
-- one-time message of the next page. Rows past their idle timeout or
-- maximum age are deleted at the next sign-in; seen_at moves at most
-- once a minute, so a page view is not a write.
CREATE TABLE console_sessions (
    id          BLOB PRIMARY KEY,
    token_hash  BLOB NOT NULL,
    csrf        TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    seen_at     TEXT NOT NULL,
    flash       TEXT NOT NULL DEFAULT '',
    flash_ok    INTEGER NOT NULL DEFAULT 0 CHECK (flash_ok IN (0, 1))
) STRICT, WITHOUT ROWID;

CREATE INDEX console_sessions_seen ON console_sessions (seen_at);
CREATE INDEX console_sessions_token ON console_sessions (token_hash);

-- migration 18: several instances on one database: who leads, and every catalog version published

-- One row: the leader's epoch, raised by each instance that takes the
-- lead, so a deposed leader's fenced writes find it moved and fail.
CREATE TABLE leader (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    epoch   INTEGER NOT NULL,
    holder  TEXT NOT NULL,
    since   TEXT NOT NULL
) STRICT;

-- Every catalog version published, by whichever instance: the others
-- adopt its number, time and ETag epoch, and serve the changes feed from
-- these rows. base is the version the change was measured from (-1: none,
-- the first build of a process; the feed cannot span it).
CREATE TABLE catalog_versions (
    version    INTEGER PRIMARY KEY,
    base       INTEGER NOT NULL,
    built_at   TEXT NOT NULL,
    priced_at  TEXT NOT NULL,
    epoch      TEXT NOT NULL,
    changes    TEXT NOT NULL
) STRICT;

-- migration 19: price explanations stored once, named by the orders priced alike

-- The explanation of an order's price as it stood when the order was
-- taken (GET /v1/orders/{id}/routing). Every order of one item and tier
-- in one catalog version has the same one, about 2.4 KB of JSON, so it is
-- stored once under the SHA-256 of its text and orders name it: an order
-- row went from about 2.7 KB, a page of its own in every commit that
-- wrote it, to a few hundred bytes (issue 17, row 5). Orders taken before
-- keep theirs in orders.explain.
CREATE TABLE price_explains (
    hash     TEXT PRIMARY KEY,     -- lower-case hex SHA-256 of explain
    explain  TEXT NOT NULL
) STRICT;

ALTER TABLE orders ADD COLUMN explain_hash TEXT NOT NULL DEFAULT '';
