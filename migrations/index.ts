import { createUsers } from './001-create-users';
import { createSessions } from './002-create-sessions';
import type { Migration } from './types';

/** Every migration, in the order it runs. Append new ones at the end; never reorder or edit applied ones. */
export const migrations: Migration[] = [createUsers, createSessions];
