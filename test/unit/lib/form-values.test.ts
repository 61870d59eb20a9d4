import { firstValue, text } from '../../../src/lib/form-values';

describe('firstValue', () => {
  it('reads the first of a repeated query parameter, and a single value as itself', () => {
    expect(firstValue(['a', 'b'])).toBe('a');
    expect(firstValue('a')).toBe('a');
    expect(firstValue(undefined)).toBeUndefined();
  });
});

describe('text', () => {
  it('keeps a string as it is and reads anything else as empty', () => {
    expect(text(' name ')).toBe(' name ');
    expect(text(['a', 'b'])).toBe('');
    expect(text({ a: 1 })).toBe('');
    expect(text(undefined)).toBe('');
    expect(text(42)).toBe('');
  });
});
