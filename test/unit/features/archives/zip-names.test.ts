import { MAX_ZIP_DEPTH, safeZipPath, zipNames } from '../../../../src/features/archives/zip-names';

const bytes = (text: string) => Buffer.byteLength(text, 'utf8');

describe('safeZipPath', () => {
  it('keeps an ordinary relative path', () => {
    expect(safeZipPath('photos/2024/beach.jpg')).toEqual(['photos', '2024', 'beach.jpg']);
  });

  it('makes absolute paths relative and never climbs with ..', () => {
    expect(safeZipPath('/etc/passwd')).toEqual(['etc', 'passwd']);
    expect(safeZipPath('../../a/./b/../c.txt')).toEqual(['a', 'b', 'c.txt']);
    expect(safeZipPath('//server/share/x')).toEqual(['server', 'share', 'x']);
  });

  it('splits on backslashes and drops a leading Windows drive', () => {
    expect(safeZipPath('C:\\Users\\me\\notes.txt')).toEqual(['Users', 'me', 'notes.txt']);
    expect(safeZipPath('dir\\sub\\file')).toEqual(['dir', 'sub', 'file']);
  });

  it('cleans each component like a display name: controls and bidi removed, NFC, untitled when empty', () => {
    expect(safeZipPath('a\u0000b/c\u202Etxt.exe')).toEqual(['ab', 'ctxt.exe']);
    expect(safeZipPath('Re\u0301sume\u0301/x')).toEqual(['R\u00e9sum\u00e9', 'x']);
    expect(safeZipPath('\u0001/\u202E')).toEqual(['untitled', 'untitled']);
    expect(safeZipPath('.\u0000./x')).toEqual(['untitled', 'x']);
  });

  it('turns a path with nothing left into untitled', () => {
    for (const raw of ['', '/', '..', '../..', 'C:', '\\\\'])
      expect(safeZipPath(raw)).toEqual(['untitled']);
  });

  it('keeps every component within 255 bytes and the depth within the limit (last components kept)', () => {
    const long = `${'é'.repeat(300)}.txt`;
    expect(bytes(safeZipPath(long)[0])).toBeLessThanOrEqual(255);
    const deep = safeZipPath(`${Array.from({ length: 100 }, (_, i) => `d${i}`).join('/')}/f.txt`);
    expect(deep).toHaveLength(MAX_ZIP_DEPTH + 1);
    expect(deep.slice(-2)).toEqual(['d99', 'f.txt']);
  });
});

describe('zipNames', () => {
  it('keeps distinct paths as they are, UTF-8 included', () => {
    expect(zipNames(['a.txt', 'dir/é 中文 📄.txt', 'b'])).toEqual([
      'a.txt',
      'dir/é 中文 📄.txt',
      'b',
    ]);
  });

  it('renames collisions "a.txt", "a (2).txt", "a (3).txt", case-insensitively', () => {
    expect(zipNames(['a.txt', 'A.TXT', 'a.txt'])).toEqual(['a.txt', 'A (2).TXT', 'a (3).txt']);
  });

  it('renames a path that only collides once made safe', () => {
    expect(zipNames(['x/a.txt', '../x/a.txt', 'x\\a.txt'])).toEqual([
      'x/a.txt',
      'x/a (2).txt',
      'x/a (3).txt',
    ]);
  });

  it('puts the suffix before the last extension, after the whole name for dotfiles and extensionless names', () => {
    expect(zipNames(['t.tar.gz', 't.tar.gz', '.env', '.env', 'README', 'readme'])).toEqual([
      't.tar.gz',
      't.tar (2).gz',
      '.env',
      '.env (2)',
      'README',
      'readme (2)',
    ]);
  });

  it('does not hand out a suffixed name that a later file asks for', () => {
    expect(zipNames(['a.txt', 'a.txt', 'a (2).txt'])).toEqual([
      'a.txt',
      'a (2).txt',
      'a (2) (2).txt',
    ]);
  });

  it('puts files of folders differing only in case into one folder', () => {
    expect(zipNames(['Docs/a.txt', 'docs/b.txt', 'DOCS/a.txt'])).toEqual([
      'Docs/a.txt',
      'Docs/b.txt',
      'Docs/a (2).txt',
    ]);
  });

  it('renames a file named like a folder and a folder named like a file', () => {
    expect(zipNames(['dir/x', 'dir', 'file.txt', 'file.txt/y'])).toEqual([
      'dir/x',
      'dir (2)',
      'file.txt',
      'file.txt (2)/y',
    ]);
  });

  it('keeps a renamed name within 255 bytes', () => {
    const long = `${'a'.repeat(251)}.txt`;
    const [first, second] = zipNames([long, long]);
    expect(first).toBe(long);
    expect(bytes(second)).toBeLessThanOrEqual(255);
    expect(second.endsWith(' (2).txt')).toBe(true);
  });

  it('stays linear for thousands of copies of one name', () => {
    const names = zipNames(Array.from({ length: 20000 }, () => 'same.txt'));
    expect(new Set(names.map((name) => name.toLowerCase())).size).toBe(20000);
    expect(names[19999]).toBe('same (20000).txt');
  });
});
