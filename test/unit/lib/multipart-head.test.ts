import { leadingField, multipartBoundary } from '../../../src/lib/multipart-head';

const B = '----formdata-depot-0123';

/** A multipart body from parts, as browsers write it. */
function form(parts: { name: string; value?: string; filename?: string }[], end = true): Buffer {
  const text = parts
    .map((part) =>
      part.filename === undefined
        ? `--${B}\r\nContent-Disposition: form-data; name="${part.name}"\r\n\r\n${part.value ?? ''}\r\n`
        : `--${B}\r\nContent-Disposition: form-data; name="${part.name}"; filename="${part.filename}"\r\n` +
          `Content-Type: application/octet-stream\r\n\r\n${part.value ?? ''}\r\n`,
    )
    .join('');
  return Buffer.from(end ? `${text}--${B}--\r\n` : text);
}

describe('multipartBoundary', () => {
  it.each([
    [`multipart/form-data; boundary=${B}`, B],
    [`multipart/form-data; boundary="${B}"`, B],
    [`multipart/form-data;boundary=${B}; charset=utf-8`, B],
    [`Multipart/Form-Data; BOUNDARY=${B}`, B],
  ])('reads %j', (header, boundary) => {
    expect(multipartBoundary(header)).toBe(boundary);
  });

  it.each(['multipart/form-data', 'multipart/form-data; boundary=', 'text/plain', ''])(
    'is null for %j',
    (header) => {
      expect(multipartBoundary(header)).toBeNull();
    },
  );
});

describe('leadingField', () => {
  it('reads the field when it is the first part', () => {
    const body = form([
      { name: '_csrf', value: 'tok-123' },
      { name: 'files', filename: 'a.txt', value: 'alpha' },
    ]);
    expect(leadingField(body, B, '_csrf')).toEqual({ value: 'tok-123' });
  });

  it('skips text fields before it, and keeps UTF-8 and line breaks in values', () => {
    const body = form([
      { name: 'note', value: 'line one\r\nline two, café' },
      { name: '_csrf', value: 'tok-456' },
      { name: 'files', filename: 'a.txt' },
    ]);
    expect(leadingField(body, B, '_csrf')).toEqual({ value: 'tok-456' });
    expect(leadingField(body, B, 'note')).toEqual({ value: 'line one\r\nline two, café' });
  });

  it('says absent when a file part comes first, even if the field follows it', () => {
    const body = form([
      { name: 'files', filename: 'a.txt', value: 'alpha' },
      { name: '_csrf', value: 'tok' },
    ]);
    expect(leadingField(body, B, '_csrf')).toEqual({ absent: true });
  });

  it('says absent when the form ends without it', () => {
    expect(leadingField(form([{ name: 'note', value: 'x' }]), B, '_csrf')).toEqual({
      absent: true,
    });
    expect(leadingField(Buffer.from(`--${B}--\r\n`), B, '_csrf')).toEqual({ absent: true });
  });

  it('is not fooled by a file named like the field, or by a name inside another parameter', () => {
    const fileNamedCsrf = Buffer.from(
      `--${B}\r\nContent-Disposition: form-data; name="_csrf"; filename="t.txt"\r\n\r\ntok\r\n--${B}--`,
    );
    expect(leadingField(fileNamedCsrf, B, '_csrf')).toEqual({ absent: true });
    const trick = Buffer.from(
      `--${B}\r\nContent-Disposition: form-data; x-name="_csrf"; name="other"\r\n\r\ntok\r\n--${B}--`,
    );
    expect(leadingField(trick, B, '_csrf')).toEqual({ absent: true });
  });

  it('reads an unquoted name, other part headers and a preamble before the first delimiter', () => {
    const body = Buffer.from(
      `ignored preamble\r\n--${B}\r\nContent-Type: text/plain\r\ncontent-disposition: form-data; name=_csrf\r\n\r\ntok\r\n--${B}--`,
    );
    expect(leadingField(body, B, '_csrf')).toEqual({ value: 'tok' });
  });

  it('asks for more at every cut before the value is complete, and reads it once it is', () => {
    const body = form([
      { name: 'note', value: 'x' },
      { name: '_csrf', value: 'tok-789' },
      { name: 'files', filename: 'a.bin', value: 'data' },
    ]);
    const complete = body.indexOf(`\r\n--${B}`, body.indexOf('tok-789')) + `\r\n--${B}`.length;
    for (let cut = 0; cut < complete; cut += 1) {
      expect(leadingField(body.subarray(0, cut), B, '_csrf')).toEqual({ more: true });
    }
    for (let cut = complete; cut <= body.length; cut += 1) {
      expect(leadingField(body.subarray(0, cut), B, '_csrf')).toEqual({ value: 'tok-789' });
    }
  });

  it('asks for more on a body that is not multipart at all yet (no delimiter seen)', () => {
    expect(leadingField(Buffer.from('hello'), B, '_csrf')).toEqual({ more: true });
  });
});
