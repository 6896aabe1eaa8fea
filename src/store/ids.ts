// Row ids: a short prefix naming the kind, then 96 random bits in hex (e.g. conv_3f9a...).
import { randomBytes } from 'node:crypto';

export function newId(prefix: string): string {
  return `${prefix}_${randomBytes(12).toString('hex')}`;
}

/** The current time as stored: ISO-8601 UTC with milliseconds. */
export function now(): string {
  return new Date().toISOString();
}
