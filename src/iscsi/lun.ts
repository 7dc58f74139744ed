// The 8-byte LUN field (SAM-5 §4.7; RFC 7143 §11.2.1.5 carries it as-is).
// Single-level LUNs only: peripheral device addressing (00b, LUN < 256) and
// flat space addressing (01b, LUN < 16384).

/** The LUN number, or undefined for an address form we do not support. */
export function decodeLun(field: Buffer): number | undefined {
  if (field.length < 8) return undefined;
  for (let i = 2; i < 8; i++) if (field[i] !== 0) return undefined;
  const b0 = field[0]!;
  const method = b0 >> 6;
  if (method === 0) return b0 === 0 ? field[1]! : undefined; // bus identifier must be 0
  if (method === 1) return ((b0 & 0x3f) << 8) | field[1]!;
  return undefined;
}

export function encodeLun(lun: number): Buffer {
  const b = Buffer.alloc(8);
  if (lun < 256) {
    b[1] = lun;
  } else {
    b[0] = 0x40 | ((lun >> 8) & 0x3f);
    b[1] = lun & 0xff;
  }
  return b;
}
