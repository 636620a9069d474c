package indexer

// coreMigrations is the indexer's own schema, documented in indexer/README.md.
// Append new versions; never edit one that has shipped.
var coreMigrations = []Migration{
	{Version: 1, Name: "blocks, txs, events, accounts, cursor", SQL: `
CREATE TABLE blocks (
	height BIGINT PRIMARY KEY,
	hash TEXT NOT NULL,
	time {{TIMESTAMP}} NOT NULL,
	chain_id TEXT NOT NULL,
	proposer TEXT NOT NULL,
	app_hash TEXT NOT NULL,
	num_txs INTEGER NOT NULL
);
CREATE INDEX blocks_time ON blocks (time);
CREATE TABLE txs (
	height BIGINT NOT NULL,
	tx_index INTEGER NOT NULL,
	hash TEXT NOT NULL,
	code INTEGER NOT NULL,
	codespace TEXT NOT NULL,
	log TEXT NOT NULL,
	gas_wanted BIGINT NOT NULL,
	gas_used BIGINT NOT NULL,
	fee TEXT NOT NULL,
	fee_payer TEXT NOT NULL,
	memo TEXT NOT NULL,
	signers TEXT NOT NULL,
	msg_types TEXT NOT NULL,
	PRIMARY KEY (height, tx_index)
);
CREATE INDEX txs_hash ON txs (hash);
CREATE TABLE tx_messages (
	height BIGINT NOT NULL,
	tx_index INTEGER NOT NULL,
	msg_index INTEGER NOT NULL,
	type_url TEXT NOT NULL,
	PRIMARY KEY (height, tx_index, msg_index)
);
CREATE INDEX tx_messages_type ON tx_messages (type_url, height);
CREATE TABLE tx_fees (
	height BIGINT NOT NULL,
	tx_index INTEGER NOT NULL,
	denom TEXT NOT NULL,
	amount {{NUMERIC}} NOT NULL,
	PRIMARY KEY (height, tx_index, denom)
);
CREATE TABLE events (
	height BIGINT NOT NULL,
	tx_index INTEGER NOT NULL,
	event_index INTEGER NOT NULL,
	type TEXT NOT NULL,
	PRIMARY KEY (height, tx_index, event_index)
);
CREATE INDEX events_type ON events (type, height);
CREATE TABLE event_attributes (
	height BIGINT NOT NULL,
	tx_index INTEGER NOT NULL,
	event_index INTEGER NOT NULL,
	attr_index INTEGER NOT NULL,
	key TEXT NOT NULL,
	value TEXT NOT NULL,
	PRIMARY KEY (height, tx_index, event_index, attr_index)
);
CREATE INDEX event_attributes_key_value ON event_attributes (key, value);
CREATE TABLE account_txs (
	address TEXT NOT NULL,
	height BIGINT NOT NULL,
	tx_index INTEGER NOT NULL,
	is_signer BOOLEAN NOT NULL,
	PRIMARY KEY (address, height, tx_index)
);
CREATE INDEX account_txs_tx ON account_txs (height, tx_index);
CREATE TABLE indexer_cursor (
	name TEXT PRIMARY KEY,
	height BIGINT NOT NULL,
	updated_at {{TIMESTAMP}} NOT NULL
)`},
}

// coreTables are the tables whose rows belong to one height, cleared before
// a height is written again and from a height on by Rewind.
var coreTables = []string{"blocks", "txs", "tx_messages", "tx_fees", "events", "event_attributes", "account_txs"}
