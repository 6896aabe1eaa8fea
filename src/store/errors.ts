// Turns SQLite constraint failures into PonderErrors that name the offending value.
import { PonderError } from '../errors.ts';

export interface ConstraintMessages {
  /** Message when a PRIMARY KEY or UNIQUE constraint fails (a duplicate id). */
  duplicate?: string;
  /** Message when a FOREIGN KEY constraint fails (a link to a row that does not exist). */
  missing?: string;
  /** Message when a CHECK constraint fails (a value outside its allowed set). */
  invalid?: string;
}

/** Runs fn; rethrows SQLite constraint errors as PonderError with the given messages. */
export function withConstraints<T>(fn: () => T, msgs: ConstraintMessages): T {
  try {
    return fn();
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') {
      if ((code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === 'SQLITE_CONSTRAINT_UNIQUE') && msgs.duplicate) {
        throw new PonderError(msgs.duplicate);
      }
      if (code === 'SQLITE_CONSTRAINT_FOREIGNKEY' && msgs.missing) throw new PonderError(msgs.missing);
      if (code === 'SQLITE_CONSTRAINT_CHECK' && msgs.invalid) throw new PonderError(msgs.invalid);
    }
    throw e;
  }
}
