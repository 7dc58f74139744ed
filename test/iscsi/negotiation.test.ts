import test from 'ava';
import { DEFAULT_OFFER, defaultParams, finishParams, negotiateKey, type SessionType } from '../../src/iscsi/negotiation.ts';

const offer = { ...DEFAULT_OFFER, maxBurstLength: 1048576, firstBurstLength: 65536, maxOutstandingR2T: 8, defaultTime2Wait: 2, defaultTime2Retain: 20 };

// [key, offered value, session type, expected answer (undefined = declaration, no answer), param check]
const rows: [string, string, SessionType, string | undefined, ((p: ReturnType<typeof defaultParams>) => boolean)?][] = [
  // List: the first value of the initiator's list that we support (RFC 7143 §6.2).
  ['HeaderDigest', 'CRC32C,None', 'Normal', 'CRC32C', (p) => p.headerDigest],
  ['HeaderDigest', 'None,CRC32C', 'Normal', 'None', (p) => !p.headerDigest],
  ['DataDigest', 'CRC32C', 'Normal', 'CRC32C', (p) => p.dataDigest],
  ['DataDigest', 'MD5,None', 'Normal', 'None'],
  ['HeaderDigest', 'MD5', 'Normal', 'Reject'],
  // Boolean OR: InitialR2T, DataPDUInOrder, DataSequenceInOrder.
  ['InitialR2T', 'Yes', 'Normal', 'Yes', (p) => p.initialR2T],
  ['InitialR2T', 'No', 'Normal', 'No', (p) => !p.initialR2T],
  ['DataPDUInOrder', 'No', 'Normal', 'Yes', (p) => p.dataPDUInOrder],
  ['DataSequenceInOrder', 'No', 'Normal', 'Yes'],
  // Boolean AND: ImmediateData, markers.
  ['ImmediateData', 'Yes', 'Normal', 'Yes', (p) => p.immediateData],
  ['ImmediateData', 'No', 'Normal', 'No', (p) => !p.immediateData],
  ['OFMarker', 'Yes', 'Normal', 'No'],
  ['IFMarker', 'No', 'Normal', 'No'],
  ['ImmediateData', 'yes', 'Normal', 'Reject'],
  // Numeric minimum.
  ['MaxBurstLength', '262144', 'Normal', '262144', (p) => p.maxBurstLength === 262144],
  ['MaxBurstLength', '16776192', 'Normal', '1048576', (p) => p.maxBurstLength === 1048576],
  ['MaxBurstLength', '0x40000', 'Normal', '262144'],
  ['MaxBurstLength', '511', 'Normal', 'Reject'],
  ['MaxBurstLength', '16777216', 'Normal', 'Reject'],
  ['MaxBurstLength', 'lots', 'Normal', 'Reject'],
  ['FirstBurstLength', '262144', 'Normal', '65536', (p) => p.firstBurstLength === 65536],
  ['MaxOutstandingR2T', '1', 'Normal', '1', (p) => p.maxOutstandingR2T === 1],
  ['MaxOutstandingR2T', '64', 'Normal', '8'],
  ['MaxOutstandingR2T', '0', 'Normal', 'Reject'],
  ['DefaultTime2Retain', '0', 'Normal', '0', (p) => p.defaultTime2Retain === 0],
  ['DefaultTime2Retain', '3601', 'Normal', 'Reject'],
  ['ErrorRecoveryLevel', '2', 'Normal', '0', (p) => p.errorRecoveryLevel === 0],
  ['ErrorRecoveryLevel', '3', 'Normal', 'Reject'],
  ['MaxConnections', '8', 'Normal', '1', (p) => p.maxConnections === 1],
  // Numeric maximum.
  ['DefaultTime2Wait', '0', 'Normal', '2', (p) => p.defaultTime2Wait === 2],
  ['DefaultTime2Wait', '10', 'Normal', '10', (p) => p.defaultTime2Wait === 10],
  // Declarative per direction: the initiator's value bounds what we send; no answer.
  ['MaxRecvDataSegmentLength', '65536', 'Normal', undefined, (p) => p.maxSendDataSegmentLength === 65536 && p.maxRecvDataSegmentLength === DEFAULT_OFFER.maxRecvDataSegmentLength],
  ['MaxRecvDataSegmentLength', '100', 'Normal', 'Reject'],
  // Irrelevant in discovery sessions.
  ['MaxBurstLength', '262144', 'Discovery', 'Irrelevant'],
  ['ImmediateData', 'Yes', 'Discovery', 'Irrelevant'],
  ['InitialR2T', 'No', 'Discovery', 'Irrelevant'],
  ['HeaderDigest', 'None', 'Discovery', 'None'],
  ['OFMarkInt', '2048', 'Normal', 'Irrelevant'],
  ['SendTargets', 'All', 'Normal', 'Irrelevant'],
  // Target-declared keys offered by an initiator, unknown and vendor keys.
  ['TargetAlias', 'x', 'Normal', 'Reject'],
  ['TargetPortalGroupTag', '1', 'Normal', 'Reject'],
  ['X-com.example.Foo', '1', 'Normal', 'NotUnderstood'],
  ['Bogus', '1', 'Normal', 'NotUnderstood'],
  ['toString', '1', 'Normal', 'NotUnderstood'],
  ['iSCSIProtocolLevel', '2', 'Normal', '1'],
  ['TaskReporting', 'ResponseFence,RFC3720', 'Normal', 'RFC3720'],
  ['RDMAExtensions', 'Yes', 'Normal', 'No'],
];

for (const [key, value, type, expected, check] of rows) {
  test(`${key}=${value} (${type}) → ${expected ?? 'no answer'}`, (t) => {
    const p = defaultParams(offer.maxRecvDataSegmentLength);
    const outcome = negotiateKey(key, value, offer, type);
    if (expected === undefined) {
      t.is(outcome.kind, 'declared');
    } else {
      t.is(outcome.kind, 'answer');
      if (outcome.kind === 'answer') t.is(outcome.answer, expected);
    }
    if (outcome.kind === 'declared' || outcome.apply) (outcome.kind === 'declared' ? outcome.apply : outcome.apply!)(p);
    if (check) t.true(check(p));
  });
}

test('RFC 7143 defaults hold for keys never negotiated', (t) => {
  const p = defaultParams(262144);
  t.true(p.initialR2T);
  t.true(p.immediateData);
  t.is(p.maxBurstLength, 262144);
  t.is(p.firstBurstLength, 65536);
  t.is(p.maxOutstandingR2T, 1);
  t.is(p.maxSendDataSegmentLength, 8192);
  t.false(p.headerDigest);
});

test('FirstBurstLength never exceeds MaxBurstLength', (t) => {
  const p = defaultParams(262144);
  p.maxBurstLength = 4096;
  p.firstBurstLength = 65536;
  finishParams(p);
  t.is(p.firstBurstLength, 4096);
});
