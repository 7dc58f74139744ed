// Operational key negotiation (RFC 7143 §6.2, §13) as one pure table. Each row
// says how the key is negotiated (list / boolean AND / boolean OR / numeric
// min / numeric max / declarative), its range, our offer, and where the
// result lands. negotiateKey() turns an initiator's key=value into the answer
// (or none, for declarations) and an update of the session parameters.

export type SessionType = 'Discovery' | 'Normal';
export type DigestName = 'CRC32C' | 'None';

/** Parameters in force once login completes (RFC 7143 defaults until negotiated). */
export interface SessionParams {
  headerDigest: boolean;
  dataDigest: boolean;
  maxConnections: number;
  initialR2T: boolean;
  immediateData: boolean;
  /** The initiator's MaxRecvDataSegmentLength: the largest data segment we may send. */
  maxSendDataSegmentLength: number;
  /** Ours: the largest data segment the initiator may send us. */
  maxRecvDataSegmentLength: number;
  maxBurstLength: number;
  firstBurstLength: number;
  defaultTime2Wait: number;
  defaultTime2Retain: number;
  maxOutstandingR2T: number;
  dataPDUInOrder: boolean;
  dataSequenceInOrder: boolean;
  errorRecoveryLevel: number;
}

/** What the target offers; the wiring may override any of it. */
export interface TargetOffer {
  readonly headerDigest: readonly DigestName[];
  readonly dataDigest: readonly DigestName[];
  readonly maxRecvDataSegmentLength: number;
  readonly maxBurstLength: number;
  readonly firstBurstLength: number;
  readonly initialR2T: boolean;
  readonly immediateData: boolean;
  readonly maxOutstandingR2T: number;
  readonly defaultTime2Wait: number;
  readonly defaultTime2Retain: number;
}

export const DEFAULT_OFFER: TargetOffer = {
  headerDigest: ['CRC32C', 'None'],
  dataDigest: ['CRC32C', 'None'],
  maxRecvDataSegmentLength: 262144,
  maxBurstLength: 16776192,
  firstBurstLength: 262144,
  initialR2T: false,
  immediateData: true,
  maxOutstandingR2T: 16,
  defaultTime2Wait: 2,
  defaultTime2Retain: 20,
};

/** RFC 7143 §13 defaults: what holds when a key is never negotiated. */
export function defaultParams(ourMaxRecv: number): SessionParams {
  return {
    headerDigest: false,
    dataDigest: false,
    maxConnections: 1,
    initialR2T: true,
    immediateData: true,
    maxSendDataSegmentLength: 8192,
    maxRecvDataSegmentLength: ourMaxRecv,
    maxBurstLength: 262144,
    firstBurstLength: 65536,
    defaultTime2Wait: 2,
    defaultTime2Retain: 20,
    maxOutstandingR2T: 1,
    dataPDUInOrder: true,
    dataSequenceInOrder: true,
    errorRecoveryLevel: 0,
  };
}

type Apply<T> = (p: SessionParams, v: T) => void;

type Rule =
  | { readonly kind: 'list'; readonly ours: (o: TargetOffer) => readonly string[]; readonly apply: Apply<string> }
  | {
      readonly kind: 'and' | 'or';
      readonly ours: (o: TargetOffer) => boolean;
      readonly apply: Apply<boolean>;
      readonly irrelevantInDiscovery?: boolean;
    }
  | {
      readonly kind: 'min' | 'max';
      readonly lo: number;
      readonly hi: number;
      readonly ours: (o: TargetOffer) => number;
      readonly apply: Apply<number>;
      readonly irrelevantInDiscovery?: boolean;
    }
  | { readonly kind: 'declare-number'; readonly lo: number; readonly hi: number; readonly apply: Apply<number> }
  /** Keys that make no sense from an initiator or in this phase. */
  | { readonly kind: 'irrelevant' }
  /** Keys the target alone declares (RFC 7143 §13.9, §13.8, §13.10). */
  | { readonly kind: 'target-only' };

const MAX_24 = 16777215;

/** The table. Keys handled by the login state machine (names, SessionType, AuthMethod, CHAP_*) are not here. */
export const KEY_RULES: Readonly<Record<string, Rule>> = {
  HeaderDigest: { kind: 'list', ours: (o) => o.headerDigest, apply: (p, v) => (p.headerDigest = v === 'CRC32C') },
  DataDigest: { kind: 'list', ours: (o) => o.dataDigest, apply: (p, v) => (p.dataDigest = v === 'CRC32C') },
  MaxConnections: { kind: 'min', lo: 1, hi: 65535, ours: () => 1, apply: (p, v) => (p.maxConnections = v) },
  InitialR2T: {
    kind: 'or',
    ours: (o) => o.initialR2T,
    apply: (p, v) => (p.initialR2T = v),
    irrelevantInDiscovery: true,
  },
  ImmediateData: {
    kind: 'and',
    ours: (o) => o.immediateData,
    apply: (p, v) => (p.immediateData = v),
    irrelevantInDiscovery: true,
  },
  MaxRecvDataSegmentLength: {
    kind: 'declare-number',
    lo: 512,
    hi: MAX_24,
    apply: (p, v) => (p.maxSendDataSegmentLength = v),
  },
  MaxBurstLength: {
    kind: 'min',
    lo: 512,
    hi: MAX_24,
    ours: (o) => o.maxBurstLength,
    apply: (p, v) => (p.maxBurstLength = v),
    irrelevantInDiscovery: true,
  },
  FirstBurstLength: {
    kind: 'min',
    lo: 512,
    hi: MAX_24,
    ours: (o) => o.firstBurstLength,
    apply: (p, v) => (p.firstBurstLength = v),
    irrelevantInDiscovery: true,
  },
  DefaultTime2Wait: {
    kind: 'max',
    lo: 0,
    hi: 3600,
    ours: (o) => o.defaultTime2Wait,
    apply: (p, v) => (p.defaultTime2Wait = v),
  },
  DefaultTime2Retain: {
    kind: 'min',
    lo: 0,
    hi: 3600,
    ours: (o) => o.defaultTime2Retain,
    apply: (p, v) => (p.defaultTime2Retain = v),
  },
  MaxOutstandingR2T: {
    kind: 'min',
    lo: 1,
    hi: 65535,
    ours: (o) => o.maxOutstandingR2T,
    apply: (p, v) => (p.maxOutstandingR2T = v),
    irrelevantInDiscovery: true,
  },
  DataPDUInOrder: {
    kind: 'or',
    ours: () => true,
    apply: (p, v) => (p.dataPDUInOrder = v),
    irrelevantInDiscovery: true,
  },
  DataSequenceInOrder: {
    kind: 'or',
    ours: () => true,
    apply: (p, v) => (p.dataSequenceInOrder = v),
    irrelevantInDiscovery: true,
  },
  ErrorRecoveryLevel: { kind: 'min', lo: 0, hi: 2, ours: () => 0, apply: (p, v) => (p.errorRecoveryLevel = v) },
  // RFC 7143 §13.25 obsoletes markers; old initiators still offer them. We never use them.
  OFMarker: { kind: 'and', ours: () => false, apply: () => {} },
  IFMarker: { kind: 'and', ours: () => false, apply: () => {} },
  OFMarkInt: { kind: 'irrelevant' },
  IFMarkInt: { kind: 'irrelevant' },
  // RFC 7144 §13.1: we implement RFC 7143, protocol level 1.
  iSCSIProtocolLevel: { kind: 'min', lo: 0, hi: 31, ours: () => 1, apply: () => {} },
  TaskReporting: { kind: 'list', ours: () => ['RFC3720'], apply: () => {} },
  // RFC 7145 (iSER): not over TCP.
  RDMAExtensions: { kind: 'and', ours: () => false, apply: () => {} },
  SendTargets: { kind: 'irrelevant' },
  TargetAlias: { kind: 'target-only' },
  TargetAddress: { kind: 'target-only' },
  TargetPortalGroupTag: { kind: 'target-only' },
};

export type KeyOutcome =
  /** Send `key=answer`; `apply` updates the parameters. */
  | { readonly kind: 'answer'; readonly answer: string; readonly apply?: (p: SessionParams) => void }
  /** A declaration that needs no answer. */
  | { readonly kind: 'declared'; readonly apply: (p: SessionParams) => void };

/** RFC 7143 §6.1: numbers are decimal, or hex with 0x. */
export function parseNumber(v: string): number | undefined {
  if (/^[0-9]{1,10}$/.test(v)) return Number(v);
  if (/^0[xX][0-9a-fA-F]{1,8}$/.test(v)) return parseInt(v.slice(2), 16);
  return undefined;
}

function parseBool(v: string): boolean | undefined {
  return v === 'Yes' ? true : v === 'No' ? false : undefined;
}

const yesNo = (b: boolean): string => (b ? 'Yes' : 'No');

/** The answer to one operational key the initiator offered or declared. */
export function negotiateKey(key: string, value: string, offer: TargetOffer, sessionType: SessionType): KeyOutcome {
  const rule = Object.hasOwn(KEY_RULES, key) ? KEY_RULES[key] : undefined;
  if (rule === undefined) return { kind: 'answer', answer: 'NotUnderstood' };
  const reject: KeyOutcome = { kind: 'answer', answer: 'Reject' };
  switch (rule.kind) {
    case 'irrelevant':
      return { kind: 'answer', answer: 'Irrelevant' };
    case 'target-only':
      return reject;
    case 'list': {
      // RFC 7143 §6.2: the acceptor answers with the first value of the offered
      // list that it supports; values it does not understand are ignored.
      const ours = rule.ours(offer);
      const chosen = value.split(',').find((v) => ours.includes(v));
      if (chosen === undefined) return reject;
      return { kind: 'answer', answer: chosen, apply: (p) => rule.apply(p, chosen) };
    }
    case 'and':
    case 'or': {
      const theirs = parseBool(value);
      if (theirs === undefined) return reject;
      if (sessionType === 'Discovery' && rule.irrelevantInDiscovery === true) {
        return { kind: 'answer', answer: 'Irrelevant' };
      }
      const ours = rule.ours(offer);
      const result = rule.kind === 'and' ? theirs && ours : theirs || ours;
      return { kind: 'answer', answer: yesNo(result), apply: (p) => rule.apply(p, result) };
    }
    case 'min':
    case 'max': {
      const theirs = parseNumber(value);
      if (theirs === undefined || theirs < rule.lo || theirs > rule.hi) return reject;
      if (sessionType === 'Discovery' && rule.irrelevantInDiscovery === true) {
        return { kind: 'answer', answer: 'Irrelevant' };
      }
      const ours = rule.ours(offer);
      const result = rule.kind === 'min' ? Math.min(theirs, ours) : Math.max(theirs, ours);
      return { kind: 'answer', answer: String(result), apply: (p) => rule.apply(p, result) };
    }
    case 'declare-number': {
      const theirs = parseNumber(value);
      if (theirs === undefined || theirs < rule.lo || theirs > rule.hi) return reject;
      return { kind: 'declared', apply: (p) => rule.apply(p, theirs) };
    }
    default: {
      const never: never = rule;
      throw new Error(`unknown rule ${String(never)}`);
    }
  }
}

/** RFC 7143 §13.14: FirstBurstLength MUST NOT exceed MaxBurstLength. */
export function finishParams(p: SessionParams): void {
  if (p.firstBurstLength > p.maxBurstLength) p.firstBurstLength = p.maxBurstLength;
}
