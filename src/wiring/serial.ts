// Device serial numbers derived from the config, so they stay the same across
// restarts (backup software maps drives by serial) and differ across targets.
import { createHash } from 'node:crypto';

/** A serial number that is stable for a device's place in the config and unique across targets. */
export function serialFor(iqn: string, name: string, prefix: string): string {
  return prefix + createHash('sha256').update(`${iqn}\0${name}`).digest('hex').slice(0, 10).toUpperCase();
}

/** The changer's and each drive's serial in a library: one derivation for serve and the offline CLI. */
export function librarySerials(iqn: string, library: string, drives: number): { changer: string; drives: string[] } {
  return {
    changer: serialFor(iqn, `${library}/changer`, ''),
    drives: Array.from({ length: drives }, (_, i) => serialFor(iqn, `${library}/drive${i}`, '')),
  };
}
