import { safeNext } from '../../../src/lib/safe-next';

describe('safeNext', () => {
  it.each([
    ['/files', '/files'],
    ['/files/abc?q=report&sort=name', '/files/abc?q=report&sort=name'],
    ['/files?q=a%2Fb#top', '/files?q=a%2Fb#top'],
    ['/a/b/../c', '/a/c'],
  ])('keeps the same-site path %s', (candidate, expected) => {
    expect(safeNext(candidate)).toBe(expected);
  });

  it.each([
    '//evil.example',
    '//evil.example/files',
    '///evil.example',
    'https://evil.example',
    'http://evil.example/files',
    'HTTPS://evil.example',
    '/\\evil.example',
    '\\\\evil.example',
    '/\t/evil.example',
    '/\n/evil.example',
    'javascript:alert(1)',
    'JavaScript:alert(1)',
    'data:text/html,<script>alert(1)</script>',
    'evil.example',
    'files',
    '%2F%2Fevil.example',
    '/%2F%2Fevil.example',
    '/%2f/evil.example',
    '/%5Cevil.example',
    '/..//evil.example',
    '/.//evil.example',
    '/%2e%2e//evil.example',
    '/a/..//evil.example',
    '',
    `/${'a'.repeat(3000)}`,
  ])('falls back to /files for %j', (candidate) => {
    expect(safeNext(candidate)).toBe('/files');
  });

  it('falls back for anything that is not a string', () => {
    for (const candidate of [undefined, null, 42, ['/files'], { path: '/files' }]) {
      expect(safeNext(candidate)).toBe('/files');
    }
    expect(safeNext(['/x', '/y'], '/home')).toBe('/home');
  });
});
