// `ponder data export|delete`: a user's stored data out as JSON or gone; preference pairs out.
import { resolve } from 'node:path';
import { PonderError } from '../../errors.ts';
import { openDatabase } from '../../store/db.ts';
import { deleteUserData, exportPreferences, exportRatings, exportUserData, preferencesToJsonl } from '../../store/export.ts';
import { writeFileAtomic } from '../../store/atomic.ts';
import { parseFlags, type Command } from '../command.ts';

const HELP = `usage: ponder data export --user ID --out FILE.json
       ponder data export --preferences --out FILE.jsonl|FILE.json
       ponder data export --ratings --out FILE.jsonl|FILE.json
       ponder data delete --user ID --yes

export --user writes everything stored for one user (conversations with messages, feedback,
moderation events, request log, key metadata) as one JSON object.
export --preferences writes {"prompt", "chosen", "rejected"} pairs from feedback (rewrites, and
thumbs-up against thumbs-down answers to the same prompt): JSON Lines for .jsonl, else a JSON array.
export --ratings writes single {"prompt", "completion", "label"} ratings (thumbs up or a rewrite:
true; thumbs down: false) for \`ponder align --method kto\`, which needs no pairs.
delete removes every row the user owns; --yes is required.
The database is PONDER_DATA_DIR/ponder.db (default ~/.ponder/data), or --data-dir DIR.`;

export const command: Command = {
  name: 'data',
  summary: "export or delete a user's data; export preference pairs",
  run(argv) {
    const { values, positionals } = parseFlags(argv, {
      user: { type: 'string' },
      preferences: { type: 'boolean' },
      ratings: { type: 'boolean' },
      out: { type: 'string' },
      yes: { type: 'boolean' },
      'data-dir': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    });
    const sub = positionals[0];
    if (values.help || sub === undefined) { console.log(HELP); return values.help ? 0 : 1; }
    if (positionals.length > 1) throw new PonderError(`unexpected argument '${positionals[1]}'`);
    if (sub !== 'export' && sub !== 'delete') throw new PonderError(`unknown subcommand 'data ${sub}' (export, delete)`);
    if (values.user !== undefined && values.user === '') throw new PonderError('--user needs a user id');

    if (sub === 'export') {
      if ([values.user !== undefined, values.preferences === true, values.ratings === true].filter(Boolean).length !== 1) {
        throw new PonderError('data export needs exactly one of --user ID or --preferences or --ratings');
      }
      if (!values.out) throw new PonderError('data export needs --out FILE');
      if (values.yes) throw new PonderError('--yes is for data delete');
      const out = resolve(values.out);
      const db = openDatabase({ dataDir: values['data-dir'] });
      try {
        if (values.user !== undefined) {
          const data = exportUserData(db, values.user);
          writeFileAtomic(out, JSON.stringify(data, null, 2) + '\n');
          const n = data.conversations.reduce((s, c) => s + c.messages.length, 0);
          console.log(`exported user '${values.user}': ${data.conversations.length} conversations, ${n} messages, ` +
            `${data.feedback.length} feedback, ${data.moderation_events.length} moderation events -> ${out}`);
        } else if (values.ratings) {
          const rated = exportRatings(db);
          writeFileAtomic(out, out.endsWith('.jsonl') ? rated.map((r) => JSON.stringify(r) + '\n').join('') : JSON.stringify(rated, null, 2) + '\n');
          console.log(`exported ${rated.length} ratings -> ${out}`);
        } else {
          const pairs = exportPreferences(db);
          writeFileAtomic(out, out.endsWith('.jsonl') ? preferencesToJsonl(pairs) : JSON.stringify(pairs, null, 2) + '\n');
          console.log(`exported ${pairs.length} preference pairs -> ${out}`);
        }
      } finally {
        db.close();
      }
      return 0;
    }

    if (values.user === undefined) throw new PonderError('data delete needs --user ID');
    if (values.preferences || values.ratings || values.out) throw new PonderError('data delete takes only --user and --yes');
    if (!values.yes) throw new PonderError(`data delete removes all of user '${values.user}'s data; add --yes to confirm`);
    const db = openDatabase({ dataDir: values['data-dir'] });
    try {
      const c = deleteUserData(db, values.user);
      console.log(`deleted user '${values.user}': ${c.conversations} conversations, ${c.messages} messages, ` +
        `${c.feedback} feedback, ${c.moderation_events} moderation events, ${c.requests} requests, ${c.api_keys} keys`);
    } finally {
      db.close();
    }
    return 0;
  },
};
