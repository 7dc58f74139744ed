// The mode page registry of one logical unit (SPC-4 7.5): current, changeable,
// default values per page/subpage; saved values are not supported (PS = 0,
// PC = 11b -> 39/00). MODE SELECT goes through `select`, which checks every
// bit against the changeable mask, lets the device validate and apply, and
// reports whether anything changed (the LU then raises 2A/01 to the others).
import { ScsiError, Sense, invalidParameterField } from '../sense.ts';

export interface ModePageDefinition {
  readonly name: string;
  /** PAGE CODE, 00h..3Eh. */
  readonly page: number;
  /** SUBPAGE CODE; 0 means the page_0 format (2-byte header). */
  readonly subpage?: number;
  /** Default values: the whole page including its header (page_0: code, length; sub_page: code|SPF, subpage, length u16). */
  readonly defaults: Buffer;
  /** Changeable mask with the same layout: 1 bits may be changed by MODE SELECT. Header bytes are ignored. */
  readonly changeable?: Buffer;
  /**
   * Validate a page the initiator sent (already masked-checked against
   * `changeable`) and apply its side effects. Throw ScsiError to refuse (the
   * current value is then unchanged). Optional.
   */
  readonly apply?: (next: Buffer, current: Buffer) => void;
  /** For pages whose content the device computes (e.g. tape medium configuration): called on each MODE SENSE. */
  readonly refresh?: (current: Buffer) => void;
}

/** PAGE CONTROL field of MODE SENSE. */
export type PageControl = 'current' | 'changeable' | 'default' | 'saved';

interface Entry {
  readonly def: ModePageDefinition;
  current: Buffer;
}

const keyOf = (page: number, subpage: number): number => (page << 8) | subpage;

/** Header length of a page in page_0 (2) or sub_page (4) format. */
export const pageHeaderLength = (subpage: number): number => (subpage === 0 ? 2 : 4);

export class ModePages {
  readonly #pages = new Map<number, Entry>();

  /** Add or replace a page. The default value becomes the current value. */
  add(def: ModePageDefinition): void {
    const subpage = def.subpage ?? 0;
    this.#pages.set(keyOf(def.page, subpage), { def, current: Buffer.from(def.defaults) });
  }

  has(page: number, subpage = 0): boolean {
    return this.#pages.has(keyOf(page, subpage));
  }

  /** The current value of a page (a live view: do not mutate, use select()). */
  current(page: number, subpage = 0): Buffer | undefined {
    return this.#pages.get(keyOf(page, subpage))?.current;
  }

  /** Pages sorted by page code then subpage code (SPC-4 asks for ascending order in 3Fh). */
  #sorted(): Entry[] {
    return [...this.#pages.entries()].sort((a, b) => a[0] - b[0]).map(([, e]) => e);
  }

  /** One page's bytes for MODE SENSE, or undefined when not supported. */
  sense(page: number, subpage: number, pc: PageControl): Buffer | undefined {
    const e = this.#pages.get(keyOf(page, subpage));
    return e === undefined ? undefined : this.#render(e, pc);
  }

  /**
   * Pages for PAGE CODE 3Fh: SUBPAGE 00h returns every page_0 page, FFh every
   * page and subpage (SPC-4 6.11 table "Mode page code usage for all devices").
   * A specific page code with subpage FFh returns that page's subpages.
   */
  senseMany(page: number, subpage: number, pc: PageControl): Buffer[] | undefined {
    const picked = this.#sorted().filter((e) => {
      const sp = e.def.subpage ?? 0;
      if (page === 0x3f) return subpage === 0xff || sp === 0;
      return e.def.page === page;
    });
    return picked.length === 0 ? undefined : picked.map((e) => this.#render(e, pc));
  }

  #render(e: Entry, pc: PageControl): Buffer {
    if (pc === 'saved') throw new ScsiError(Sense.savingParametersNotSupported);
    if (pc === 'current') e.def.refresh?.(e.current);
    const src = pc === 'current' ? e.current : pc === 'default' ? e.def.defaults : this.#changeable(e);
    const out = Buffer.from(src);
    out[0] = (out[0] ?? 0) & 0x7f; // PS = 0: pages are not saveable
    return out;
  }

  #changeable(e: Entry): Buffer {
    const mask = Buffer.alloc(e.def.defaults.length);
    e.def.defaults.copy(mask, 0, 0, pageHeaderLength(e.def.subpage ?? 0));
    e.def.changeable?.copy(mask, pageHeaderLength(e.def.subpage ?? 0), pageHeaderLength(e.def.subpage ?? 0));
    return mask;
  }

  /**
   * Apply one page from a MODE SELECT parameter list. `at` is its offset in
   * the list, for the field pointer. Returns true when the current value changed.
   * SPC-4 6.9: "If the application client sends a mode page that contains a
   * field that is not changeable with a value different from its current value,
   * the command shall be terminated ... INVALID FIELD IN PARAMETER LIST".
   */
  select(page: number, subpage: number, sent: Buffer, at: number): boolean {
    const e = this.#pages.get(keyOf(page, subpage));
    if (e === undefined) throw invalidParameterField(at);
    const hdr = pageHeaderLength(subpage);
    if (sent.length !== e.current.length) throw invalidParameterField(at + hdr - 1);
    const mask = this.#changeable(e);
    for (let i = hdr; i < sent.length; i++) {
      const diff = ((sent[i] ?? 0) ^ (e.current[i] ?? 0)) & ~(mask[i] ?? 0) & 0xff;
      if (diff !== 0) throw invalidParameterField(at + i, 31 - Math.clz32(diff));
    }
    const next = Buffer.from(e.current);
    sent.copy(next, hdr, hdr);
    if (next.equals(e.current)) return false;
    e.def.apply?.(next, e.current);
    e.current = next;
    return true;
  }

  /** Current values back to defaults (hard reset, SAM-5). */
  restoreDefaults(): void {
    for (const e of this.#pages.values()) e.current = Buffer.from(e.def.defaults);
  }
}

/** Build a page_0 page: code, length, then the body. */
export function page0(page: number, body: readonly number[]): Buffer {
  return Buffer.from([page & 0x3f, body.length, ...body]);
}

/** Build a sub_page page: code|SPF, subpage, length u16, body. */
export function subPage(page: number, subpage: number, body: readonly number[]): Buffer {
  return Buffer.from([(page & 0x3f) | 0x40, subpage, body.length >> 8, body.length & 0xff, ...body]);
}
