// Every personality by its config name.
import { genericChanger } from './generic-changer.ts';
import { genericTape } from './generic-tape.ts';
import { hpUltrium6 } from './hp-ultrium-6.ts';
import { ibm03584L32 } from './ibm-03584l32.ts';
import { ibmUlt3580Td5 } from './ibm-ult3580-td5.ts';
import { ibmUlt3580Td6 } from './ibm-ult3580-td6.ts';
import { ibmUlt3580Td8 } from './ibm-ult3580-td8.ts';
import { ibmUlt3580Td9 } from './ibm-ult3580-td9.ts';
import { stkL700 } from './stk-l700.ts';
import type { ChangerProfile, TapeDriveProfile } from './types.ts';

export type { ChangerProfile, TapeDriveProfile } from './types.ts';

export const tapeDriveProfiles: ReadonlyMap<string, TapeDriveProfile> = new Map(
  [ibmUlt3580Td5, ibmUlt3580Td6, ibmUlt3580Td8, ibmUlt3580Td9, hpUltrium6, genericTape].map((p) => [p.name, p]),
);

export const changerProfiles: ReadonlyMap<string, ChangerProfile> = new Map(
  [stkL700, ibm03584L32, genericChanger].map((p) => [p.name, p]),
);

/** Pads or trims a configured serial to the profile's shape (VPD 80h, DVCID and MAM all use this). */
export function formatSerial(fmt: { readonly length: number; readonly pad: string }, serial: string): string {
  return serial.length >= fmt.length ? serial.slice(-fmt.length) : serial.padStart(fmt.length, fmt.pad);
}
