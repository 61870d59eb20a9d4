import {
  FALLBACK_NAME,
  MAX_NAME_BYTES,
  sanitizeFileName,
  truncateUtf8,
} from '../../../src/lib/file-name';

const bytes = (text: string) => Buffer.byteLength(text, 'utf8');

describe('sanitizeFileName', () => {
  it('keeps an ordinary name as it is', () => {
    expect(sanitizeFileName('report 2024 (final).pdf')).toBe('report 2024 (final).pdf');
  });

  it('drops path components of either kind of slash', () => {
    expect(sanitizeFileName('../../etc/passwd')).toBe('passwd');
    expect(sanitizeFileName('C:\\Users\\me\\photo.jpg')).toBe('photo.jpg');
    expect(sanitizeFileName('/abs/dir/')).toBe('dir');
  });

  it('removes control characters and bidi overrides, isolates and marks', () => {
    expect(sanitizeFileName('a\u0000b\u001fc\u007fd\u0085.txt')).toBe('abcd.txt');
    expect(sanitizeFileName('invoice\u202Efdp.exe')).toBe('invoicefdp.exe');
    expect(sanitizeFileName('\u2066x\u2069\u200E\u200F\u061C.txt')).toBe('x.txt');
    expect(sanitizeFileName('line\r\nbreak.txt')).toBe('linebreak.txt');
  });

  it('keeps Unicode, normalized to NFC', () => {
    expect(sanitizeFileName('Re\u0301sume\u0301.txt')).toBe('R\u00e9sum\u00e9.txt');
    expect(sanitizeFileName('日本語のファイル 📄.txt')).toBe('日本語のファイル 📄.txt');
  });

  it('turns an empty or dot-only name into untitled', () => {
    for (const raw of ['', '   ', '/', '..', '.', '\u202E', undefined, 42])
      expect(sanitizeFileName(raw)).toBe(FALLBACK_NAME);
  });

  it('cuts long names to 255 bytes without splitting a character, keeping the extension', () => {
    const long = `${'é'.repeat(300)}.txt`;
    const name = sanitizeFileName(long);
    expect(bytes(name)).toBeLessThanOrEqual(MAX_NAME_BYTES);
    expect(name.endsWith('.txt')).toBe(true);
    expect(name).not.toContain('\ufffd');
    const emoji = sanitizeFileName('👍🏽'.repeat(100));
    expect(bytes(emoji)).toBeLessThanOrEqual(MAX_NAME_BYTES);
    // Whole grapheme clusters only: every thumb keeps its skin tone.
    expect(emoji).toBe('👍🏽'.repeat(Math.floor(MAX_NAME_BYTES / bytes('👍🏽'))));
  });

  it('drops lone surrogates instead of storing invalid UTF-16', () => {
    expect(sanitizeFileName('bad\ud800name.txt')).toBe('badname.txt');
  });
});

describe('truncateUtf8', () => {
  it('leaves short text alone and cuts long text at a character boundary', () => {
    expect(truncateUtf8('abc', 10)).toBe('abc');
    expect(truncateUtf8('aé', 2)).toBe('a');
    expect(truncateUtf8('日本', 5)).toBe('日');
  });
});
