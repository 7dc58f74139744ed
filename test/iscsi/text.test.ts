import test from 'ava';
import { encodeText, parseText, TextFormatError } from '../../src/iscsi/text.ts';
import { decodeLun, encodeLun } from '../../src/iscsi/lun.ts';
import { sendTargets } from '../../src/iscsi/discovery.ts';

test('key=value pairs round-trip; padding NULs and a missing final NUL are tolerated', (t) => {
  const b = encodeText([
    ['InitiatorName', 'iqn.x'],
    ['CHAP_C', '0x0102'],
  ]);
  t.is(b.toString(), 'InitiatorName=iqn.x\0CHAP_C=0x0102\0');
  t.deepEqual(parseText(Buffer.concat([b, Buffer.alloc(3)])), [
    ['InitiatorName', 'iqn.x'],
    ['CHAP_C', '0x0102'],
  ]);
  t.deepEqual(parseText(Buffer.from('A=1\0B=')), [
    ['A', '1'],
    ['B', ''],
  ]);
});

test('malformed items are errors', (t) => {
  t.throws(() => parseText(Buffer.from('novalue\0')), { instanceOf: TextFormatError });
  t.throws(() => parseText(Buffer.from('=x\0')), { instanceOf: TextFormatError });
  t.throws(() => parseText(Buffer.from('K'.repeat(64) + '=1\0')), { instanceOf: TextFormatError });
});

test('LUN field: peripheral and flat addressing; others unsupported', (t) => {
  t.is(decodeLun(encodeLun(0)), 0);
  t.is(decodeLun(encodeLun(255)), 255);
  t.deepEqual([...encodeLun(300).subarray(0, 2)], [0x41, 0x2c]);
  t.is(decodeLun(encodeLun(300)), 300);
  t.is(decodeLun(Buffer.from([0x01, 0, 0, 0, 0, 0, 0, 0])), undefined, 'bus identifier');
  t.is(decodeLun(Buffer.from([0x80, 1, 0, 0, 0, 0, 0, 0])), undefined, 'logical unit addressing');
  t.is(decodeLun(Buffer.from([0, 1, 0, 1, 0, 0, 0, 0])), undefined, 'second level');
});

test('SendTargets values: All, a name, empty, and rejects', (t) => {
  const a = { iqn: 'iqn.a', luns: new Map() };
  const b = { iqn: 'iqn.b', tpgt: 3, luns: new Map(), allowedInitiators: ['iqn.ok'] };
  const ctx = { targets: [a, b], sessionTarget: undefined, sessionType: 'Discovery' as const, initiatorName: 'iqn.ok', address: '10.0.0.1:3260' };
  t.deepEqual(sendTargets('All', ctx), [
    ['TargetName', 'iqn.a'],
    ['TargetAddress', '10.0.0.1:3260,1'],
    ['TargetName', 'iqn.b'],
    ['TargetAddress', '10.0.0.1:3260,3'],
  ]);
  t.deepEqual(sendTargets('All', { ...ctx, initiatorName: 'iqn.other' }), [
    ['TargetName', 'iqn.a'],
    ['TargetAddress', '10.0.0.1:3260,1'],
  ]);
  t.deepEqual(sendTargets('iqn.b', ctx), [
    ['TargetName', 'iqn.b'],
    ['TargetAddress', '10.0.0.1:3260,3'],
  ]);
  t.deepEqual(sendTargets('', { ...ctx, sessionType: 'Normal', sessionTarget: a }), [
    ['TargetName', 'iqn.a'],
    ['TargetAddress', '10.0.0.1:3260,1'],
  ]);
  t.deepEqual(sendTargets('All', { ...ctx, sessionType: 'Normal', sessionTarget: a }), [
    ['TargetName', 'iqn.a'],
    ['TargetAddress', '10.0.0.1:3260,1'],
  ]);
  t.is(sendTargets('Alle', ctx), undefined);
  t.is(sendTargets('A', ctx), undefined);
  t.is(sendTargets('aLL', ctx), undefined);
});
