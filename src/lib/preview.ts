/** How the file page previews a type; null when it cannot be previewed safely. */
export type PreviewKind = 'image' | 'audio' | 'video' | 'pdf' | 'text';

const TEXT_TYPES = new Set([
  'application/json',
  'application/xml',
  'application/javascript',
  'application/x-sh',
  'application/x-yaml',
  'application/yaml',
  'application/toml',
  'application/sql',
]);

/** Picks the preview for a MIME type (SVG is never an image preview: it can carry script). */
export function previewKind(type: string): PreviewKind | null {
  if (type.startsWith('image/')) return type === 'image/svg+xml' ? 'text' : 'image';
  if (type.startsWith('audio/')) return 'audio';
  if (type.startsWith('video/')) return 'video';
  if (type === 'application/pdf') return 'pdf';
  if (type.startsWith('text/') || TEXT_TYPES.has(type) || /\+(json|xml)$/.test(type)) return 'text';
  return null;
}

/** Decodes the head of a text file, dropping a character cut in half at the end. */
export function decodeTextHead(head: Buffer, truncated: boolean): string {
  const text = head.toString('utf8');
  return truncated ? text.replace(/\ufffd$/, '') : text;
}
