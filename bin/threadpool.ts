/**
 * Imported first by bin/www.ts, before anything touches libuv's threadpool (its size is read once).
 * File reads, hashing, DNS and every SQLite statement share that pool; with the default 4 threads, a few
 * SQLite statements waiting out a write lock could starve the statement that holds it.
 */
process.env.UV_THREADPOOL_SIZE ??= '16';
