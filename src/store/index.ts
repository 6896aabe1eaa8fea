// The storage layer: one SQLite file, versioned migrations, typed repositories.
export * from './db.ts';
export * from './users.ts';
export * from './keys.ts';
export * from './conversations.ts';
export * from './messages.ts';
export * from './feedback.ts';
export * from './moderation.ts';
export * from './requests.ts';
export * from './export.ts';
export { writeFileAtomic } from './atomic.ts';
