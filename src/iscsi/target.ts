// What the wiring tells the transport about each target (RFC 7143 §4.2.7:
// a target is a name, a portal group and a set of logical units).
import type { LogicalUnit } from '../../scsi/command.ts';

/** CHAP secrets for one target (or for discovery). RFC 7143 §12.1.3. */
export interface ChapCredentials {
  /** The name the initiator must send in CHAP_N. */
  readonly user: string;
  readonly secret: string;
  /** Mutual CHAP: the name and secret the target answers with when the initiator challenges it. */
  readonly mutualUser?: string;
  readonly mutualSecret?: string;
}

export interface TargetDefinition {
  /** iSCSI name (iqn.… or eui.…). */
  readonly iqn: string;
  readonly alias?: string;
  /** Target portal group tag (default 1). */
  readonly tpgt?: number;
  /** LUN number → logical unit; the map may change while the server runs. */
  readonly luns: Map<number, LogicalUnit>;
  /** When present, logins to this target must authenticate with CHAP. */
  readonly chap?: ChapCredentials;
  /** When present and non-empty, only these InitiatorNames may log in or see the target. */
  readonly allowedInitiators?: readonly string[];
  /** Receives commands for LUNs absent from `luns` (INQUIRY → qualifier 011b, others → 25/00). */
  readonly unmappedLun?: LogicalUnit;
}

export function portalGroupTag(t: TargetDefinition): number {
  return t.tpgt ?? 1;
}

export function initiatorAllowed(t: TargetDefinition, initiatorName: string): boolean {
  const allow = t.allowedInitiators;
  return allow === undefined || allow.length === 0 || allow.includes(initiatorName);
}

/** Nexus.targetPort: "<iqn>,t,0x<tpgt as 4 hex digits>". */
export function targetPortName(t: TargetDefinition): string {
  return `${t.iqn},t,0x${portalGroupTag(t).toString(16).padStart(4, '0')}`;
}
