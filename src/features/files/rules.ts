import { ValidationError } from '../../errors';
import { MAX_NAME_BYTES, sanitizeFileName } from '../../lib/file-name';
import { formatSize } from '../../lib/units';

/** User-visible words of the files feature. */
export const fileMessages = {
  tooLarge: (max: number) => `That file is larger than the ${formatSize(max)} limit.`,
  overQuota: (quota: number) =>
    `That would take you over your storage quota of ${formatSize(quota)}. Delete some files first.`,
  tooMany: (max: number) => `Send at most ${max} files at a time.`,
  nameRequired: 'Give the file a name.',
  nameTooLong: `Use at most ${MAX_NAME_BYTES} bytes.`,
  visibilityInvalid: "Use 'private' or 'public'.",
};

/** Changes a user may make to a file. */
export interface FileChanges {
  name?: unknown;
  visibility?: unknown;
}

const VISIBILITIES = new Set(['private', 'public']);

/** Validates a rename / visibility change at the service edge (API and pages share the rules). */
export function validateChanges(changes: FileChanges): {
  name?: string;
  visibility?: 'private' | 'public';
} {
  const errors: Record<string, string> = {};
  const result: { name?: string; visibility?: 'private' | 'public' } = {};
  if (changes.name !== undefined) {
    const raw = typeof changes.name === 'string' ? changes.name.trim() : '';
    if (!raw) errors.name = fileMessages.nameRequired;
    else if (Buffer.byteLength(raw) > MAX_NAME_BYTES) errors.name = fileMessages.nameTooLong;
    else result.name = sanitizeFileName(raw);
  }
  if (changes.visibility !== undefined) {
    if (typeof changes.visibility === 'string' && VISIBILITIES.has(changes.visibility))
      result.visibility = changes.visibility as 'private' | 'public';
    else errors.visibility = fileMessages.visibilityInvalid;
  }
  if (Object.keys(errors).length) throw new ValidationError(errors);
  return result;
}
