// Raster formats only: SVG is an image type that can carry script, so it is never inline.
const RASTER_IMAGES = new Set([
  'image/png',
  'image/jpeg',
  'image/gif',
  'image/webp',
  'image/avif',
  'image/apng',
  'image/bmp',
  'image/x-icon',
  'image/vnd.microsoft.icon',
]);
const MEDIA = /^(?:audio|video)\/[a-z0-9][a-z0-9.+-]*$/;

/**
 * The Content-Type to serve a file inline with, or null when it must be an attachment: only types
 * a browser cannot run script from (raster images, audio, video, PDF, plain text as UTF-8).
 */
export function inlineContentType(type: string): string | null {
  const essence = type.split(';')[0].trim().toLowerCase();
  if (RASTER_IMAGES.has(essence) || essence === 'application/pdf') return essence;
  if (MEDIA.test(essence) && !/xml|html/.test(essence)) return essence;
  if (essence === 'text/plain') return 'text/plain; charset=utf-8';
  return null;
}
