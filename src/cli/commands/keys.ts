// `ponder keys create|list|revoke`: API keys for the server. The plaintext is shown once.
import { PonderError } from '../../errors.ts';
import { openDatabase } from '../../store/db.ts';
import { createKey, listKeys, revokeKey } from '../../store/keys.ts';
import { parseFlags, type Command } from '../command.ts';

const HELP = `usage: ponder keys create [--name NAME] [--user ID]
       ponder keys list
       ponder keys revoke KEY_ID

create makes a key and, unless --user names an existing user, a new user who owns it. The key is
printed once and only its hash is stored: copy it now.
The database is PONDER_DATA_DIR/ponder.db (default ~/.ponder/data), or --data-dir DIR.`;

export const command: Command = {
  name: 'keys',
  summary: 'create, list or revoke API keys',
  run(argv) {
    const { values, positionals } = parseFlags(argv, {
      name: { type: 'string' },
      user: { type: 'string' },
      'data-dir': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    });
    const [sub, ...args] = positionals;
    if (values.help || sub === undefined) { console.log(HELP); return values.help ? 0 : 1; }
    if (sub !== 'create' && sub !== 'list' && sub !== 'revoke') {
      throw new PonderError(`unknown subcommand 'keys ${sub}' (create, list, revoke)`);
    }
    if (sub !== 'revoke' && args.length > 0) throw new PonderError(`unexpected argument '${args[0]}'`);
    if (sub !== 'create' && (values.name !== undefined || values.user !== undefined)) {
      throw new PonderError(`--name and --user are for keys create`);
    }
    const db = openDatabase({ dataDir: values['data-dir'] });
    try {
      if (sub === 'create') {
        const k = createKey(db, { name: values.name, userId: values.user });
        console.log(k.key);
        console.error(`created key ${k.id} for user ${k.userId}; it is shown only this once`);
      } else if (sub === 'list') {
        const keys = listKeys(db);
        if (keys.length === 0) console.log('no keys');
        for (const k of keys) {
          const state = k.revoked_at ? `revoked ${k.revoked_at}` : k.last_used_at ? `last used ${k.last_used_at}` : 'never used';
          console.log([k.id, `${k.prefix}…`, k.user_id, k.name ?? '-', `created ${k.created_at}`, state].join('  '));
        }
      } else {
        if (args.length !== 1) throw new PonderError('keys revoke needs exactly one KEY_ID (see `ponder keys list`)');
        console.log(revokeKey(db, args[0]) ? `revoked ${args[0]}` : `${args[0]} was already revoked`);
      }
    } finally {
      db.close();
    }
    return 0;
  },
};
