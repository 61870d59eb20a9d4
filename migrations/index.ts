import { createUsers } from './001-create-users';
import { createSessions } from './002-create-sessions';
import { createFiles } from './003-create-files';
import { createShares } from './004-create-shares';
import { createCommentsAndActivity } from './005-create-comments-and-activity';
import { createUploads } from './006-create-uploads';
import type { Migration } from './types';

/** Every migration, in the order it runs. Append new ones at the end; never reorder or edit applied ones. */
export const migrations: Migration[] = [
  createUsers,
  createSessions,
  createFiles,
  createShares,
  createCommentsAndActivity,
  createUploads,
];
