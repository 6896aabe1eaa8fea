// The schema, as an ordered list of migrations. Version n is MIGRATIONS[n - 1]. Never edit a
// migration that has shipped: append a new one. Each runs inside one transaction.
//
// Ownership: every row a user created reaches `users` through ON DELETE CASCADE foreign keys, so
// deleting the user row deletes all of their data and nothing else.
// Times are ISO-8601 UTC text with milliseconds (they sort as text).

const NOW = `(strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))`;

export const MIGRATIONS: readonly string[] = [
  // 1: users, keys, conversations, messages, feedback, moderation events, request log.
  `
  CREATE TABLE users (
    id         TEXT PRIMARY KEY,
    name       TEXT,
    created_at TEXT NOT NULL DEFAULT ${NOW}
  );
  -- The key-less loopback user: requests from localhost without a key act as this user.
  INSERT INTO users (id, name) VALUES ('local', 'local');

  CREATE TABLE api_keys (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name         TEXT,
    prefix       TEXT NOT NULL,            -- first characters of the key, to recognise it in lists
    hash         TEXT NOT NULL UNIQUE,     -- SHA-256 of the whole key, hex; the key itself is never stored
    created_at   TEXT NOT NULL DEFAULT ${NOW},
    last_used_at TEXT,
    revoked_at   TEXT
  );
  CREATE INDEX api_keys_user ON api_keys(user_id);

  CREATE TABLE conversations (
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    title      TEXT,
    created_at TEXT NOT NULL DEFAULT ${NOW},
    updated_at TEXT NOT NULL DEFAULT ${NOW}
  );
  CREATE INDEX conversations_user ON conversations(user_id, created_at);

  CREATE TABLE messages (
    seq               INTEGER PRIMARY KEY, -- orders a conversation's messages (created_at can tie)
    id                TEXT NOT NULL UNIQUE,
    conversation_id   TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    role              TEXT NOT NULL CHECK (role IN ('system', 'user', 'assistant', 'tool')),
    content           TEXT NOT NULL DEFAULT '',
    reasoning_content TEXT,
    model             TEXT,
    prompt_tokens     INTEGER,
    completion_tokens INTEGER,
    reasoning_tokens  INTEGER,
    queue_ms          REAL,
    first_token_ms    REAL,
    total_ms          REAL,
    status            TEXT NOT NULL DEFAULT 'complete'
                      CHECK (status IN ('complete', 'partial', 'error', 'filtered')),
    created_at        TEXT NOT NULL DEFAULT ${NOW},
    updated_at        TEXT NOT NULL DEFAULT ${NOW}
  );
  CREATE INDEX messages_conversation ON messages(conversation_id, seq);

  CREATE TABLE feedback (
    id          TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    message_id  TEXT NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    rating      INTEGER CHECK (rating IN (-1, 1)),
    comment     TEXT,
    rewrite     TEXT,
    -- Snapshot at feedback time, so later edits or regenerations cannot change what was judged:
    prompt_json TEXT NOT NULL,             -- JSON [{role, content}] of the messages before the answer
    answer      TEXT NOT NULL,
    answer_reasoning TEXT,
    created_at  TEXT NOT NULL DEFAULT ${NOW},
    CHECK (rating IS NOT NULL OR comment IS NOT NULL OR rewrite IS NOT NULL)
  );
  CREATE INDEX feedback_message ON feedback(message_id);
  CREATE INDEX feedback_user ON feedback(user_id);

  CREATE TABLE moderation_events (
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    message_id TEXT REFERENCES messages(id) ON DELETE CASCADE,
    direction  TEXT NOT NULL CHECK (direction IN ('input', 'output')),
    category   TEXT NOT NULL,
    rule       TEXT,                       -- the keyword rule that fired, or NULL for the classifier
    score      REAL,                       -- the classifier's score, or NULL for a rule
    action     TEXT NOT NULL CHECK (action IN ('allow', 'flag', 'block', 'redact')),
    created_at TEXT NOT NULL DEFAULT ${NOW}
  );
  CREATE INDEX moderation_user ON moderation_events(user_id);
  CREATE INDEX moderation_message ON moderation_events(message_id);

  CREATE TABLE request_log (
    id                TEXT PRIMARY KEY,    -- the request id, as logged and returned to the client
    user_id           TEXT REFERENCES users(id) ON DELETE CASCADE,
    key_id            TEXT REFERENCES api_keys(id) ON DELETE SET NULL,
    route             TEXT NOT NULL,
    status            INTEGER NOT NULL,
    latency_ms        REAL NOT NULL,
    prompt_tokens     INTEGER,
    completion_tokens INTEGER,
    created_at        TEXT NOT NULL DEFAULT ${NOW}
  );
  CREATE INDEX request_log_user ON request_log(user_id);
  CREATE INDEX request_log_time ON request_log(created_at);
  `,
  // 2: the sources an answer was given (search citations), JSON [{index, title, source, snippet}].
  `ALTER TABLE messages ADD COLUMN citations TEXT;`,
];
