import { downloadContentType } from '../../../src/lib/download-types';

describe('downloadContentType', () => {
  it.each([
    'text/javascript',
    'application/javascript',
    'application/x-javascript',
    'text/ecmascript',
    'module',
    'text/css',
    'text/html',
    'application/xhtml+xml',
    'image/svg+xml',
    'text/xml',
    'application/xml',
    'application/xslt+xml',
    'application/wasm',
    'application/json',
    'application/importmap+json',
    'application/manifest+json',
    'font/woff2',
    'text/vtt',
    'video/vnd.foo+xml',
    'TEXT/JavaScript; charset=utf-8',
    '',
    'not a type',
  ])('serves %s as application/octet-stream', (type) => {
    expect(downloadContentType(type)).toBe('application/octet-stream');
  });

  it.each([
    ['image/png', 'image/png'],
    ['IMAGE/JPEG', 'image/jpeg'],
    ['video/mp4', 'video/mp4'],
    ['audio/mpeg', 'audio/mpeg'],
    ['application/pdf', 'application/pdf'],
    ['text/plain', 'text/plain; charset=utf-8'],
    ['text/csv', 'text/csv'],
    ['application/zip', 'application/zip'],
    ['application/zip; x="<script>"', 'application/zip'],
    [
      'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
      'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
    ],
    ['application/vnd.oasis.opendocument.text', 'application/vnd.oasis.opendocument.text'],
  ])('keeps the passive type %s', (type, served) => {
    expect(downloadContentType(type)).toBe(served);
  });
});
