/** Number of bytes `text` occupies in UTF-8, without allocating. Assumes well-formed UTF-16. */
export function utf8ByteLength(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) bytes += 1;
    else if (unit < 0x800) bytes += 2;
    else if (unit >= 0xd800 && unit <= 0xdbff) {
      bytes += 4; // a high surrogate and its low surrogate form one 4-byte code point
      i++;
    } else bytes += 3;
  }
  return bytes;
}

/**
 * Orders strings by Unicode code point, which is also UTF-8 byte order and the
 * order of PostgreSQL's `COLLATE "C"`. JavaScript's `<` compares UTF-16 code
 * units instead, which sorts astral characters (surrogate pairs, 0xD800-0xDFFF)
 * before U+E000-U+FFFF; this comparator moves them after.
 */
export function compareCodePoints(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codePointRank(x) - codePointRank(y);
  }
  return a.length - b.length;
}

function codePointRank(unit: number): number {
  if (unit >= 0xd800 && unit <= 0xdfff) return unit + 0x2000;
  if (unit >= 0xe000) return unit - 0x800;
  return unit;
}
