// The log page registry of one logical unit (SPC-4 7.3). A page supplies its
// log parameters; LOG SENSE adds the 4-byte page header. Page 00h (supported
// log pages) and 00h/FFh (supported pages and subpages) come from the registry.

export interface LogPageDefinition {
  readonly page: number;
  /** SUBPAGE CODE; 0 for none. */
  readonly subpage?: number;
  readonly name: string;
  /** The log parameters (after the page header), for PARAMETER POINTER = 0. */
  readonly parameters: () => Buffer;
  /** LOG SELECT PCR / parameter reset, optional. */
  readonly reset?: () => void;
}

/** One log parameter: code u16, control byte, length, value (SPC-4 7.3.2.2). */
export function logParameter(code: number, value: Buffer, control = 0x03): Buffer {
  // control 03h: FORMAT AND LINKING = 11b (binary list), not disabled
  return Buffer.concat([Buffer.from([code >> 8, code & 0xff, control, value.length]), value]);
}

export class LogPages {
  readonly #pages = new Map<number, LogPageDefinition>();

  add(def: LogPageDefinition): void {
    this.#pages.set((def.page << 8) | (def.subpage ?? 0), def);
  }

  /** Page and subpage codes, ascending, including 00h itself. */
  list(): Array<{ page: number; subpage: number }> {
    const keys = new Set([0x0000, 0x00ff, ...this.#pages.keys()]);
    return [...keys].sort((a, b) => a - b).map((k) => ({ page: k >> 8, subpage: k & 0xff }));
  }

  /** The full page (header + parameters) or undefined when not supported. */
  page(page: number, subpage: number): Buffer | undefined {
    let body: Buffer;
    let spf = subpage !== 0;
    if (page === 0 && subpage === 0) {
      body = Buffer.from([...new Set(this.list().map((p) => p.page))]);
    } else if (page === 0 && subpage === 0xff) {
      body = Buffer.from(this.list().flatMap((p) => [p.page, p.subpage]));
      spf = true;
    } else {
      const def = this.#pages.get((page << 8) | subpage);
      if (def === undefined) return undefined;
      body = def.parameters();
    }
    const head = Buffer.from([(spf ? 0x40 : 0) | page, subpage, body.length >> 8, body.length & 0xff]);
    return Buffer.concat([head, body]);
  }

  resetAll(): void {
    for (const def of this.#pages.values()) def.reset?.();
  }
}
