// SPC-4 sense data: the one place where a reason becomes sense bytes.
// Handlers throw ScsiError(Sense.x, detail); the dispatcher encodes it in the
// format the logical unit's control mode page selects (D_SENSE).

export const SenseKey = {
  NO_SENSE: 0x0,
  RECOVERED_ERROR: 0x1,
  NOT_READY: 0x2,
  MEDIUM_ERROR: 0x3,
  HARDWARE_ERROR: 0x4,
  ILLEGAL_REQUEST: 0x5,
  UNIT_ATTENTION: 0x6,
  DATA_PROTECT: 0x7,
  BLANK_CHECK: 0x8,
  VENDOR_SPECIFIC: 0x9,
  COPY_ABORTED: 0xa,
  ABORTED_COMMAND: 0xb,
  VOLUME_OVERFLOW: 0xd,
  MISCOMPARE: 0xe,
} as const;
export type SenseKey = (typeof SenseKey)[keyof typeof SenseKey];

export interface SenseCode {
  readonly key: SenseKey;
  readonly asc: number;
  readonly ascq: number;
}

const s = (key: SenseKey, asc: number, ascq: number): SenseCode => ({ key, asc, ascq });

/** Every sense condition the target reports, by name (SPC-4 Annex D numbers). */
export const Sense = {
  // NO SENSE family (tape status reports: FM/EOM/ILI bits carry the meaning)
  noAdditionalSense: s(SenseKey.NO_SENSE, 0x00, 0x00),
  filemarkDetected: s(SenseKey.NO_SENSE, 0x00, 0x01),
  endOfPartitionDetected: s(SenseKey.NO_SENSE, 0x00, 0x02),
  setmarkDetected: s(SenseKey.NO_SENSE, 0x00, 0x03),
  beginningOfPartitionDetected: s(SenseKey.NO_SENSE, 0x00, 0x04),
  endOfDataDetected: s(SenseKey.BLANK_CHECK, 0x00, 0x05),
  // NOT READY
  notReadyCauseNotReportable: s(SenseKey.NOT_READY, 0x04, 0x00),
  becomingReady: s(SenseKey.NOT_READY, 0x04, 0x01),
  initializingCommandRequired: s(SenseKey.NOT_READY, 0x04, 0x02),
  mediumNotPresent: s(SenseKey.NOT_READY, 0x3a, 0x00),
  mediumNotPresentTrayClosed: s(SenseKey.NOT_READY, 0x3a, 0x01),
  // MEDIUM ERROR
  unrecoveredReadError: s(SenseKey.MEDIUM_ERROR, 0x11, 0x00),
  writeError: s(SenseKey.MEDIUM_ERROR, 0x0c, 0x00),
  mediumFormatCorrupted: s(SenseKey.MEDIUM_ERROR, 0x31, 0x00),
  // HARDWARE ERROR
  internalTargetFailure: s(SenseKey.HARDWARE_ERROR, 0x44, 0x00),
  // ILLEGAL REQUEST
  parameterListLengthError: s(SenseKey.ILLEGAL_REQUEST, 0x1a, 0x00),
  invalidCommandOperationCode: s(SenseKey.ILLEGAL_REQUEST, 0x20, 0x00),
  lbaOutOfRange: s(SenseKey.ILLEGAL_REQUEST, 0x21, 0x00),
  invalidElementAddress: s(SenseKey.ILLEGAL_REQUEST, 0x21, 0x01),
  invalidFieldInCdb: s(SenseKey.ILLEGAL_REQUEST, 0x24, 0x00),
  invalidFieldInCommandInformationUnit: s(SenseKey.ILLEGAL_REQUEST, 0x0e, 0x03),
  logicalUnitNotSupported: s(SenseKey.ILLEGAL_REQUEST, 0x25, 0x00),
  invalidFieldInParameterList: s(SenseKey.ILLEGAL_REQUEST, 0x26, 0x00),
  parameterNotSupported: s(SenseKey.ILLEGAL_REQUEST, 0x26, 0x01),
  parameterValueInvalid: s(SenseKey.ILLEGAL_REQUEST, 0x26, 0x02),
  savingParametersNotSupported: s(SenseKey.ILLEGAL_REQUEST, 0x39, 0x00),
  invalidReleaseOfPersistentReservation: s(SenseKey.ILLEGAL_REQUEST, 0x26, 0x04),
  sequentialPositioningError: s(SenseKey.ILLEGAL_REQUEST, 0x3b, 0x00),
  mediumDestinationElementFull: s(SenseKey.ILLEGAL_REQUEST, 0x3b, 0x0d),
  mediumSourceElementEmpty: s(SenseKey.ILLEGAL_REQUEST, 0x3b, 0x0e),
  mediumMagazineNotAccessible: s(SenseKey.ILLEGAL_REQUEST, 0x3b, 0x11),
  mediumRemovalPrevented: s(SenseKey.ILLEGAL_REQUEST, 0x53, 0x02),
  insufficientRegistrationResources: s(SenseKey.ILLEGAL_REQUEST, 0x55, 0x04),
  cannotWriteMediumIncompatibleFormat: s(SenseKey.DATA_PROTECT, 0x30, 0x05),
  // UNIT ATTENTION
  notReadyToReadyChange: s(SenseKey.UNIT_ATTENTION, 0x28, 0x00),
  importExportElementAccessed: s(SenseKey.UNIT_ATTENTION, 0x28, 0x01),
  powerOnResetOrBusDeviceReset: s(SenseKey.UNIT_ATTENTION, 0x29, 0x00),
  powerOnOccurred: s(SenseKey.UNIT_ATTENTION, 0x29, 0x01),
  scsiBusResetOccurred: s(SenseKey.UNIT_ATTENTION, 0x29, 0x02),
  busDeviceResetFunctionOccurred: s(SenseKey.UNIT_ATTENTION, 0x29, 0x03),
  deviceInternalReset: s(SenseKey.UNIT_ATTENTION, 0x29, 0x04),
  iTNexusLossOccurred: s(SenseKey.UNIT_ATTENTION, 0x29, 0x07),
  parametersChanged: s(SenseKey.UNIT_ATTENTION, 0x2a, 0x00),
  modeParametersChanged: s(SenseKey.UNIT_ATTENTION, 0x2a, 0x01),
  logParametersChanged: s(SenseKey.UNIT_ATTENTION, 0x2a, 0x02),
  reservationsPreempted: s(SenseKey.UNIT_ATTENTION, 0x2a, 0x03),
  reservationsReleased: s(SenseKey.UNIT_ATTENTION, 0x2a, 0x04),
  registrationsPreempted: s(SenseKey.UNIT_ATTENTION, 0x2a, 0x05),
  commandsClearedByAnotherInitiator: s(SenseKey.UNIT_ATTENTION, 0x2f, 0x00),
  reportedLunsDataChanged: s(SenseKey.UNIT_ATTENTION, 0x3f, 0x0e),
  mediumRemovalRequest: s(SenseKey.UNIT_ATTENTION, 0x5a, 0x01),
  // DATA PROTECT
  writeProtected: s(SenseKey.DATA_PROTECT, 0x27, 0x00),
  hardwareWriteProtected: s(SenseKey.DATA_PROTECT, 0x27, 0x01),
  worm: s(SenseKey.DATA_PROTECT, 0x30, 0x0c), // WORM MEDIUM - OVERWRITE ATTEMPTED
  // ABORTED COMMAND
  commandPhaseError: s(SenseKey.ABORTED_COMMAND, 0x4a, 0x00),
  dataPhaseError: s(SenseKey.ABORTED_COMMAND, 0x4b, 0x00),
  overlappedCommandsAttempted: s(SenseKey.ABORTED_COMMAND, 0x4e, 0x00),
  // VOLUME OVERFLOW, MISCOMPARE
  endOfPartitionMediumDetected: s(SenseKey.VOLUME_OVERFLOW, 0x00, 0x02),
  miscompareDuringVerify: s(SenseKey.MISCOMPARE, 0x1d, 0x00),
} as const satisfies Record<string, SenseCode>;

/** SPC-4 sense-key specific field: which CDB or parameter byte (and bit) is wrong. */
export interface FieldPointer {
  readonly inCdb: boolean; // C/D bit
  readonly byte: number;
  readonly bit?: number; // 0..7; BPV set when given
}

export interface SenseDetail {
  /** INFORMATION field; VALID is set when given. */
  readonly info?: number | bigint;
  readonly commandSpecific?: number;
  readonly fieldPointer?: FieldPointer;
  /** SSC stream bits (byte 2 of fixed sense). */
  readonly filemark?: boolean;
  readonly eom?: boolean;
  readonly ili?: boolean;
  /** Raw 3-byte sense-key specific field (e.g. progress indication), used when no fieldPointer. */
  readonly senseKeySpecific?: number;
}

/** What the initiator sees. Never thrown for operator problems (those are VtlError). */
export class ScsiError extends Error {
  readonly sense: SenseCode;
  readonly detail: SenseDetail;
  constructor(sense: SenseCode, detail: SenseDetail = {}) {
    super(`sense ${sense.key.toString(16)}/${hex2(sense.asc)}/${hex2(sense.ascq)}`);
    this.name = 'ScsiError';
    this.sense = sense;
    this.detail = detail;
  }
}

const hex2 = (n: number): string => n.toString(16).padStart(2, '0');

/** Shorthand for the most common failure: an invalid field in the CDB at byte/bit. */
export const invalidCdbField = (byte: number, bit?: number): ScsiError =>
  new ScsiError(Sense.invalidFieldInCdb, { fieldPointer: bit === undefined ? { inCdb: true, byte } : { inCdb: true, byte, bit } });

/** Shorthand: an invalid field in the parameter list (data-out) at byte/bit. */
export const invalidParameterField = (byte: number, bit?: number): ScsiError =>
  new ScsiError(Sense.invalidFieldInParameterList, { fieldPointer: bit === undefined ? { inCdb: false, byte } : { inCdb: false, byte, bit } });

function senseKeySpecific(d: SenseDetail): number | undefined {
  if (d.fieldPointer) {
    const fp = d.fieldPointer;
    let b0 = 0x80; // SKSV
    if (fp.inCdb) b0 |= 0x40;
    if (fp.bit !== undefined) b0 |= 0x08 | (fp.bit & 7);
    return (b0 << 16) | (fp.byte & 0xffff);
  }
  return d.senseKeySpecific;
}

/** SPC-4 4.5.3 fixed format sense data (response code 70h), 18 bytes. */
export function encodeFixedSense(sense: SenseCode, d: SenseDetail = {}): Buffer {
  const b = Buffer.alloc(18);
  b[0] = 0x70 | (d.info !== undefined ? 0x80 : 0);
  b[2] = (d.filemark ? 0x80 : 0) | (d.eom ? 0x40 : 0) | (d.ili ? 0x20 : 0) | sense.key;
  if (d.info !== undefined) b.writeUInt32BE(Number(BigInt.asUintN(32, BigInt(d.info))), 3);
  b[7] = 10; // additional sense length
  if (d.commandSpecific !== undefined) b.writeUInt32BE(d.commandSpecific >>> 0, 8);
  b[12] = sense.asc;
  b[13] = sense.ascq;
  const sks = senseKeySpecific(d);
  if (sks !== undefined) b.writeUIntBE(sks, 15, 3);
  return b;
}

/** SPC-4 4.5.2 descriptor format sense data (response code 72h). */
export function encodeDescriptorSense(sense: SenseCode, d: SenseDetail = {}): Buffer {
  const descriptors: Buffer[] = [];
  if (d.info !== undefined) {
    const info = Buffer.alloc(12);
    info[0] = 0x00; info[1] = 0x0a; info[2] = 0x80; // VALID
    info.writeBigUInt64BE(BigInt.asUintN(64, BigInt(d.info)), 4);
    descriptors.push(info);
  }
  if (d.commandSpecific !== undefined) {
    const cs = Buffer.alloc(12);
    cs[0] = 0x01; cs[1] = 0x0a;
    cs.writeBigUInt64BE(BigInt(d.commandSpecific >>> 0), 4);
    descriptors.push(cs);
  }
  const sks = senseKeySpecific(d);
  if (sks !== undefined) {
    const k = Buffer.alloc(8);
    k[0] = 0x02; k[1] = 0x06;
    k.writeUIntBE(sks, 4, 3);
    descriptors.push(k);
  }
  if (d.filemark || d.eom || d.ili) {
    const st = Buffer.alloc(4); // stream commands descriptor (SSC-4)
    st[0] = 0x04; st[1] = 0x02;
    st[3] = (d.filemark ? 0x80 : 0) | (d.eom ? 0x40 : 0) | (d.ili ? 0x20 : 0);
    descriptors.push(st);
  }
  const body = Buffer.concat(descriptors);
  const head = Buffer.from([0x72, sense.key, sense.asc, sense.ascq, 0, 0, 0, body.length]);
  return Buffer.concat([head, body]);
}
