// Text key=value pairs (RFC 7143 §6.1): "key=value" strings each ended by NUL,
// UTF-8; keys at most 63 bytes; values at most 255 bytes except where a key
// allows more (CHAP binary values, up to 8192 bytes here).

export type TextPairs = readonly (readonly [key: string, value: string])[];

export class TextFormatError extends Error {}

const MAX_KEY = 63;
const MAX_VALUE = 8192;

/** Parse a data segment; trailing NULs (padding) are tolerated. Throws TextFormatError. */
export function parseText(data: Buffer): [string, string][] {
  const pairs: [string, string][] = [];
  let start = 0;
  while (start < data.length) {
    let end = data.indexOf(0, start);
    if (end === -1) end = data.length; // a missing final NUL is tolerated
    if (end > start) {
      const item = data.toString('utf8', start, end);
      const eq = item.indexOf('=');
      if (eq <= 0) throw new TextFormatError(`malformed text item "${item.slice(0, 64)}"`);
      const key = item.slice(0, eq);
      const value = item.slice(eq + 1);
      if (key.length > MAX_KEY) throw new TextFormatError(`key too long "${key.slice(0, 64)}"`);
      if (value.length > MAX_VALUE) throw new TextFormatError(`value of ${key} too long`);
      pairs.push([key, value]);
    }
    start = end + 1;
  }
  return pairs;
}

export function encodeText(pairs: TextPairs): Buffer {
  if (pairs.length === 0) return Buffer.alloc(0);
  return Buffer.from(pairs.map(([k, v]) => `${k}=${v}\0`).join(''), 'utf8');
}
