// The login phase of one connection (RFC 7143 §6, §11.12-13): stages
// SecurityNegotiation (0) → LoginOperationalNegotiation (1) → FullFeaturePhase (3),
// AuthMethod None or CHAP (one-way or mutual), operational keys through the
// negotiation table. Pure: login request PDUs in, replies out; the connection
// does the I/O and builds the session on 'complete'.
import { LoginStatus, Stage } from './constants.ts';
import {
  ChapAlgorithm,
  chapResponse,
  decodeBinary,
  digestLength,
  encodeHex,
  responsesEqual,
  selectAlgorithm,
} from './chap.ts';
import {
  defaultParams,
  finishParams,
  KEY_RULES,
  negotiateKey,
  type SessionParams,
  type SessionType,
  type TargetOffer,
} from './negotiation.ts';
import type { LoginRequestPdu } from './pdu.ts';
import { initiatorAllowed, portalGroupTag, type ChapCredentials, type TargetDefinition } from './target.ts';
import { parseText, TextFormatError } from './text.ts';

export interface LoginConfig {
  readonly offer: TargetOffer;
  findTarget(iqn: string): TargetDefinition | undefined;
  /** CHAP required for discovery sessions when set. */
  readonly discoveryChap?: ChapCredentials | undefined;
  readonly chapAlgorithms: readonly ChapAlgorithm[];
  randomBytes(n: number): Buffer;
}

export interface LoginReply {
  readonly transit: boolean;
  readonly csg: number;
  readonly nsg: number;
  readonly pairs: [string, string][];
}

export interface LoginResult {
  readonly sessionType: SessionType;
  readonly initiatorName: string;
  readonly initiatorAlias: string | undefined;
  readonly target: TargetDefinition | undefined;
  readonly isid: string;
  readonly tsih: number;
  readonly cid: number;
  readonly cmdSN: number;
  readonly params: SessionParams;
  /** The initiator proved a CHAP secret. */
  readonly chapVerified: boolean;
}

export type LoginStep =
  | { readonly kind: 'reply'; readonly reply: LoginReply }
  | { readonly kind: 'fail'; readonly status: LoginStatus; readonly pairs: [string, string][]; readonly reason: string }
  | { readonly kind: 'complete'; readonly reply: LoginReply; readonly result: LoginResult };

type AuthState = 'initial' | 'chap-await-algorithm' | 'chap-await-response' | 'done';

const IDENTITY_KEYS = new Set(['InitiatorName', 'InitiatorAlias', 'TargetName', 'SessionType']);
const SECURITY_KEY = /^(AuthMethod|CHAP_[AINRC])$/;
/** Bound on a login's text carried over several PDUs with the C bit. */
const MAX_LOGIN_TEXT = 65536;

class LoginFailure extends Error {
  constructor(
    readonly status: LoginStatus,
    reason: string,
    readonly pairs: [string, string][] = [],
  ) {
    super(reason);
  }
}

export class LoginNegotiator {
  readonly #config: LoginConfig;
  #stage: number | undefined;
  #first: LoginRequestPdu | undefined;
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  #auth: AuthState = 'initial';
  #authRequired: ChapCredentials | undefined;
  #sessionType: SessionType = 'Normal';
  #initiatorName: string | undefined;
  #initiatorAlias: string | undefined;
  #target: TargetDefinition | undefined;
  #params: SessionParams;
  #negotiated = new Set<string>();
  #declaredMaxRecv = false;
  #chapAlgorithm: ChapAlgorithm = 5;
  #chapId = 0;
  #chapChallenge: Buffer = Buffer.alloc(0);
  #chapVerified = false;

  constructor(config: LoginConfig) {
    this.#config = config;
    this.#params = defaultParams(config.offer.maxRecvDataSegmentLength);
  }

  get initiatorName(): string | undefined {
    return this.#initiatorName;
  }

  step(pdu: LoginRequestPdu): LoginStep {
    try {
      return this.#step(pdu);
    } catch (e) {
      if (e instanceof LoginFailure) return { kind: 'fail', status: e.status, pairs: e.pairs, reason: e.message };
      throw e;
    }
  }

  #step(pdu: LoginRequestPdu): LoginStep {
    if (pdu.transit && pdu.continue) throw new LoginFailure(LoginStatus.INITIATOR_ERROR, 'T and C both set');
    if (this.#first === undefined) {
      // RFC 7143 §11.12.4: we speak version 0x00 only.
      if (pdu.versionMin > 0) throw new LoginFailure(LoginStatus.UNSUPPORTED_VERSION, 'unsupported version');
      if (pdu.csg !== Stage.SECURITY && pdu.csg !== Stage.OPERATIONAL) {
        throw new LoginFailure(LoginStatus.INITIATOR_ERROR, `bad CSG ${pdu.csg}`);
      }
      this.#first = pdu;
      this.#stage = pdu.csg;
    } else {
      if (pdu.csg !== this.#stage) throw new LoginFailure(LoginStatus.INITIATOR_ERROR, `CSG ${pdu.csg} out of order`);
      if (pdu.isid !== this.#first.isid || pdu.tsih !== this.#first.tsih) {
        throw new LoginFailure(LoginStatus.INITIATOR_ERROR, 'ISID/TSIH changed during login');
      }
    }
    const stage = this.#stage!;
    this.#pendingBytes += pdu.data.length;
    if (this.#pendingBytes > MAX_LOGIN_TEXT) throw new LoginFailure(LoginStatus.INITIATOR_ERROR, 'login text too long');
    if (pdu.continue) {
      // RFC 7143 §11.12.2: more text follows; answer with an empty response.
      this.#pending.push(pdu.data);
      return { kind: 'reply', reply: { transit: false, csg: stage, nsg: 0, pairs: [] } };
    }
    const data = this.#pending.length > 0 ? Buffer.concat([...this.#pending, pdu.data]) : pdu.data;
    this.#pending = [];
    this.#pendingBytes = 0;
    let pairs: [string, string][];
    try {
      pairs = parseText(data);
    } catch (e) {
      if (e instanceof TextFormatError) throw new LoginFailure(LoginStatus.INITIATOR_ERROR, e.message);
      throw e;
    }
    const out: [string, string][] = [];
    const firstPdu = this.#initiatorName === undefined;
    this.#identity(pairs, firstPdu);
    if (firstPdu) this.#admit(stage, out);

    const security = new Map<string, string>();
    for (const [key, value] of pairs) {
      if (IDENTITY_KEYS.has(key)) continue;
      if (SECURITY_KEY.test(key)) {
        if (stage !== Stage.SECURITY) {
          throw new LoginFailure(LoginStatus.INITIATOR_ERROR, `${key} outside security negotiation`);
        }
        security.set(key, value);
        continue;
      }
      if (Object.hasOwn(KEY_RULES, key)) {
        // RFC 7143 §6.2: a key negotiated twice is a protocol error.
        if (this.#negotiated.has(key)) throw new LoginFailure(LoginStatus.INITIATOR_ERROR, `${key} renegotiated`);
        this.#negotiated.add(key);
      }
      const outcome = negotiateKey(key, value, this.#config.offer, this.#sessionType);
      if (outcome.kind === 'answer') out.push([key, outcome.answer]);
      outcome.apply?.(this.#params);
    }
    if (stage === Stage.SECURITY) this.#security(security, out);

    let transit = false;
    let nsg = 0;
    if (pdu.transit) {
      const validNext =
        (stage === Stage.SECURITY && (pdu.nsg === Stage.OPERATIONAL || pdu.nsg === Stage.FULL_FEATURE)) ||
        (stage === Stage.OPERATIONAL && pdu.nsg === Stage.FULL_FEATURE);
      if (!validNext) throw new LoginFailure(LoginStatus.INITIATOR_ERROR, `bad NSG ${pdu.nsg}`);
      if (stage === Stage.SECURITY && this.#auth !== 'done') {
        if (this.#auth === 'initial' && this.#authRequired !== undefined) {
          throw new LoginFailure(LoginStatus.AUTHENTICATION_FAILURE, 'authentication required');
        }
        if (this.#auth === 'initial') this.#auth = 'done';
      }
      if (stage !== Stage.SECURITY || this.#auth === 'done') {
        transit = true;
        nsg = pdu.nsg;
      }
    }
    if (!this.#declaredMaxRecv && (stage === Stage.OPERATIONAL || nsg === Stage.FULL_FEATURE)) {
      // Our declaration (RFC 7143 §13.12); without it the initiator assumes 8192.
      out.push(['MaxRecvDataSegmentLength', String(this.#params.maxRecvDataSegmentLength)]);
      this.#declaredMaxRecv = true;
    }
    const reply: LoginReply = { transit, csg: stage, nsg, pairs: out };
    if (transit && nsg === Stage.FULL_FEATURE) {
      finishParams(this.#params);
      const first = this.#first!;
      return {
        kind: 'complete',
        reply,
        result: {
          sessionType: this.#sessionType,
          initiatorName: this.#initiatorName!,
          initiatorAlias: this.#initiatorAlias,
          target: this.#target,
          isid: first.isid,
          tsih: first.tsih,
          cid: first.cid,
          cmdSN: first.cmdSN,
          params: { ...this.#params },
          chapVerified: this.#chapVerified,
        },
      };
    }
    if (transit) this.#stage = nsg;
    return { kind: 'reply', reply };
  }

  #identity(pairs: readonly (readonly [string, string])[], first: boolean): void {
    for (const [key, value] of pairs) {
      switch (key) {
        case 'InitiatorName':
          if (this.#initiatorName !== undefined && this.#initiatorName !== value) {
            throw new LoginFailure(LoginStatus.INITIATOR_ERROR, 'InitiatorName changed');
          }
          this.#initiatorName = value;
          break;
        case 'InitiatorAlias':
          this.#initiatorAlias = value;
          break;
        case 'SessionType':
          if (value !== 'Normal' && value !== 'Discovery') {
            throw new LoginFailure(LoginStatus.SESSION_TYPE_NOT_SUPPORTED, `SessionType ${value}`, [
              ['SessionType', 'Reject'],
            ]);
          }
          if (!first && this.#sessionType !== value) {
            throw new LoginFailure(LoginStatus.INITIATOR_ERROR, 'SessionType changed');
          }
          this.#sessionType = value;
          break;
        default:
          break;
      }
    }
    if (this.#initiatorName === undefined || this.#initiatorName === '') {
      // RFC 7143 §13.5: InitiatorName MUST be sent in the first Login Request.
      throw new LoginFailure(LoginStatus.MISSING_PARAMETER, 'InitiatorName missing');
    }
    const targetName = pairs.find(([k]) => k === 'TargetName')?.[1];
    if (targetName !== undefined && this.#target !== undefined && targetName !== this.#target.iqn) {
      throw new LoginFailure(LoginStatus.INITIATOR_ERROR, 'TargetName changed');
    }
    if (this.#target === undefined && this.#sessionType === 'Normal') {
      if (targetName === undefined || targetName === '') {
        throw new LoginFailure(LoginStatus.MISSING_PARAMETER, 'TargetName missing');
      }
      const target = this.#config.findTarget(targetName);
      if (target === undefined) throw new LoginFailure(LoginStatus.NOT_FOUND, `no target ${targetName}`);
      this.#target = target;
    }
  }

  /** First PDU: authorisation, what authentication is required, what the target declares. */
  #admit(stage: number, out: [string, string][]): void {
    const target = this.#target;
    if (target !== undefined && this.#sessionType === 'Normal') {
      if (!initiatorAllowed(target, this.#initiatorName!)) {
        throw new LoginFailure(LoginStatus.AUTHORIZATION_FAILURE, `${this.#initiatorName} not allowed on ${target.iqn}`);
      }
      this.#authRequired = target.chap;
      if (target.alias !== undefined) out.push(['TargetAlias', target.alias]);
      // RFC 7143 §13.9: sent in the first Login Response of a Normal session.
      out.push(['TargetPortalGroupTag', String(portalGroupTag(target))]);
    } else {
      this.#authRequired = this.#config.discoveryChap;
    }
    if (stage === Stage.OPERATIONAL) {
      if (this.#authRequired !== undefined) {
        throw new LoginFailure(LoginStatus.AUTHENTICATION_FAILURE, 'authentication required');
      }
      this.#auth = 'done';
    }
  }

  #security(keys: Map<string, string>, out: [string, string][]): void {
    const authMethod = keys.get('AuthMethod');
    if (authMethod !== undefined) {
      if (this.#auth !== 'initial') throw new LoginFailure(LoginStatus.INITIATOR_ERROR, 'AuthMethod renegotiated');
      const offered = authMethod.split(',');
      if (this.#authRequired !== undefined) {
        if (!offered.includes('CHAP')) {
          throw new LoginFailure(LoginStatus.AUTHENTICATION_FAILURE, 'CHAP required', [['AuthMethod', 'Reject']]);
        }
        out.push(['AuthMethod', 'CHAP']);
        this.#auth = 'chap-await-algorithm';
      } else {
        if (!offered.includes('None')) {
          throw new LoginFailure(LoginStatus.AUTHENTICATION_FAILURE, `no CHAP secret for ${authMethod}`, [
            ['AuthMethod', 'Reject'],
          ]);
        }
        out.push(['AuthMethod', 'None']);
        this.#auth = 'done';
      }
    }
    const chapA = keys.get('CHAP_A');
    if (chapA !== undefined) {
      if (this.#auth !== 'chap-await-algorithm') {
        throw new LoginFailure(LoginStatus.AUTHENTICATION_FAILURE, 'CHAP_A out of sequence');
      }
      const algorithm = selectAlgorithm(chapA, this.#config.chapAlgorithms);
      if (algorithm === undefined) {
        throw new LoginFailure(LoginStatus.AUTHENTICATION_FAILURE, `no supported CHAP_A in "${chapA}"`, [
          ['CHAP_A', 'Reject'],
        ]);
      }
      this.#chapAlgorithm = algorithm;
      const rnd = this.#config.randomBytes(1 + 16);
      this.#chapId = rnd[0]!;
      this.#chapChallenge = rnd.subarray(1);
      out.push(['CHAP_A', String(algorithm)], ['CHAP_I', String(this.#chapId)], ['CHAP_C', encodeHex(this.#chapChallenge)]);
      this.#auth = 'chap-await-response';
    }
    const name = keys.get('CHAP_N');
    const response = keys.get('CHAP_R');
    if (name !== undefined || response !== undefined) {
      if (this.#auth !== 'chap-await-response' || name === undefined || response === undefined) {
        throw new LoginFailure(LoginStatus.AUTHENTICATION_FAILURE, 'CHAP_N/CHAP_R out of sequence');
      }
      this.#verify(name, response);
      this.#mutual(keys.get('CHAP_I'), keys.get('CHAP_C'), out);
      this.#auth = 'done';
    } else if (keys.has('CHAP_I') || keys.has('CHAP_C')) {
      throw new LoginFailure(LoginStatus.AUTHENTICATION_FAILURE, 'CHAP_I/CHAP_C without CHAP_R');
    }
  }

  #verify(name: string, response: string): void {
    const creds = this.#authRequired;
    if (creds === undefined) throw new LoginFailure(LoginStatus.AUTHENTICATION_FAILURE, 'no credentials');
    // CHAP_N is a name compared as text; "0x…" names are names, not numbers.
    if (name !== creds.user) throw new LoginFailure(LoginStatus.AUTHENTICATION_FAILURE, `unknown CHAP_N ${name}`);
    const got = decodeBinary(response);
    if (got === undefined || got.length !== digestLength(this.#chapAlgorithm)) {
      throw new LoginFailure(LoginStatus.AUTHENTICATION_FAILURE, 'malformed CHAP_R');
    }
    const expected = chapResponse(this.#chapAlgorithm, this.#chapId, creds.secret, this.#chapChallenge);
    if (!responsesEqual(got, expected)) throw new LoginFailure(LoginStatus.AUTHENTICATION_FAILURE, 'CHAP_R mismatch');
    this.#chapVerified = true;
  }

  #mutual(id: string | undefined, challenge: string | undefined, out: [string, string][]): void {
    if (id === undefined && challenge === undefined) return;
    const creds = this.#authRequired;
    if (id === undefined || challenge === undefined || creds?.mutualUser === undefined || creds.mutualSecret === undefined) {
      throw new LoginFailure(LoginStatus.AUTHENTICATION_FAILURE, 'mutual CHAP not possible');
    }
    const n = /^[0-9]{1,3}$/.test(id) ? Number(id) : /^0x[0-9a-fA-F]{1,2}$/i.test(id) ? parseInt(id.slice(2), 16) : NaN;
    const c = decodeBinary(challenge);
    if (!(n >= 0 && n <= 255) || c === undefined || c.length === 0 || c.length > 1024) {
      throw new LoginFailure(LoginStatus.AUTHENTICATION_FAILURE, 'malformed mutual CHAP challenge');
    }
    // RFC 7143 §12.1.3: a target must refuse its own challenge reflected back.
    if (c.equals(this.#chapChallenge)) throw new LoginFailure(LoginStatus.AUTHENTICATION_FAILURE, 'reflected challenge');
    out.push(
      ['CHAP_N', creds.mutualUser],
      ['CHAP_R', encodeHex(chapResponse(this.#chapAlgorithm, n, creds.mutualSecret, c))],
    );
  }
}
