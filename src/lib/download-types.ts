import { inlineContentType } from './inline-types';

const GENERIC = 'application/octet-stream';

/**
 * Types a browser only ever saves or shows, never executes or applies to a page: an allow-list, because the
 * list of types that do run is open-ended (JavaScript under a dozen names, CSS, HTML, XHTML, SVG, XML with an
 * XSLT, wasm, JSON modules and import maps, web app manifests, fonts...) and grows with each browser release.
 * Office documents and archives are here so that a download keeps its label for the operating system.
 */
const PASSIVE = new Set([
  'text/csv',
  'application/zip',
  'application/gzip',
  'application/x-gzip',
  'application/x-tar',
  'application/x-bzip2',
  'application/x-xz',
  'application/zstd',
  'application/x-7z-compressed',
  'application/vnd.rar',
  'application/x-rar-compressed',
  'application/epub+zip',
  'application/rtf',
  'application/msword',
  'application/vnd.ms-excel',
  'application/vnd.ms-powerpoint',
  'application/x-iso9660-image',
]);
/** Office Open XML and OpenDocument: zip containers, whatever their suffix says. */
const PASSIVE_FAMILIES =
  /^application\/vnd\.(?:openxmlformats-officedocument|oasis\.opendocument)\.[a-z0-9.+-]+$/;

/**
 * The Content-Type a download is served with: the file's own type when a browser cannot run or apply it
 * (raster images, audio, video, PDF, plain text, archives, office documents), else application/octet-stream,
 * so no page of this origin can load an uploaded file as a script, a style sheet or a document. The stored
 * type (metadata, API) stays what it was.
 */
export function downloadContentType(type: string): string {
  const inline = inlineContentType(type);
  if (inline) return inline;
  const essence = type.split(';')[0].trim().toLowerCase();
  if (PASSIVE.has(essence) || PASSIVE_FAMILIES.test(essence)) return essence;
  return GENERIC;
}
