// SendTargets (RFC 7143 §13.3, Appendix C): which targets an initiator is
// told about, as TargetName / TargetAddress=<ip>:<port>,<tpgt> pairs.
import type { SessionType } from './negotiation.ts';
import { initiatorAllowed, portalGroupTag, type TargetDefinition } from './target.ts';

export interface SendTargetsContext {
  readonly targets: readonly TargetDefinition[];
  readonly sessionTarget: TargetDefinition | undefined;
  readonly sessionType: SessionType;
  readonly initiatorName: string;
  /** "<ip>:<port>" of the portal the initiator reached. */
  readonly address: string;
}

/**
 * The answer pairs, or undefined when the value is not acceptable (the caller
 * answers SendTargets=Reject). Values are case-sensitive: "All", an iSCSI
 * name, or empty (the session's own target in a Normal session).
 */
export function sendTargets(value: string, ctx: SendTargetsContext): [string, string][] | undefined {
  let chosen: readonly TargetDefinition[];
  const visible = (t: TargetDefinition): boolean => initiatorAllowed(t, ctx.initiatorName);
  if (value === 'All') {
    // In a Normal session only the session's target is reported.
    chosen =
      ctx.sessionType === 'Discovery' ? ctx.targets.filter(visible) : ctx.sessionTarget ? [ctx.sessionTarget] : [];
  } else if (value === '') {
    if (ctx.sessionType === 'Discovery') return undefined;
    chosen = ctx.sessionTarget ? [ctx.sessionTarget] : [];
  } else if (/^(iqn\.|eui\.|naa\.)/.test(value)) {
    chosen = ctx.targets.filter((t) => t.iqn === value && visible(t));
  } else {
    return undefined;
  }
  const out: [string, string][] = [];
  for (const t of chosen) {
    out.push(['TargetName', t.iqn], ['TargetAddress', `${ctx.address},${portalGroupTag(t)}`]);
  }
  return out;
}
