import test from 'ava';
import { chapResponse, decodeBinary, encodeHex, selectAlgorithm } from '../../src/iscsi/chap.ts';

// Vectors computed independently (Python hashlib): H(0x07 || "secretsecret" || challenge).
const challenge = Buffer.from('0123456789abcdef0123456789abcdef', 'hex');
const vectors = [
  [5, '05b2140726a408e39488e57042b1b90f'],
  [6, 'ac3efb204a1dd8b43c509c8ea8db02636412430c'],
  [7, 'c3ecb5351a40645f5c28edc167507b847fbeec5512b6f1e9cf6215d037d01de5'],
  [8, '1967f63a4130ca9ef1c176c23fae7b83a9bf22879ea851e5f1533e1a1b74c16f'],
] as const;

for (const [alg, hex] of vectors) {
  test(`CHAP_A=${alg} response matches the reference digest`, (t) => {
    t.is(chapResponse(alg, 7, 'secretsecret', challenge).toString('hex'), hex);
  });
}

test('CHAP_A picks the first algorithm of the initiator list that we allow', (t) => {
  t.is(selectAlgorithm('5,6,7,8', [5, 6, 7, 8]), 5);
  t.is(selectAlgorithm('7,5', [5, 6, 7, 8]), 7);
  t.is(selectAlgorithm('8,7', [5]), undefined);
  t.is(selectAlgorithm('56', [5, 6]), undefined, '"56" is not 5');
  t.is(selectAlgorithm('', [5]), undefined);
  t.is(selectAlgorithm('x,6', [5, 6]), 6);
});

test('binary values: 0x hex (odd length allowed) and 0b base64, strictly', (t) => {
  t.deepEqual(decodeBinary('0x0102ff'), Buffer.from([1, 2, 0xff]));
  t.deepEqual(decodeBinary('0X102'), Buffer.from([1, 2]));
  t.deepEqual(decodeBinary('0bAQL/'), Buffer.from([1, 2, 0xff]));
  t.deepEqual(decodeBinary('0BAQI='), Buffer.from([1, 2]));
  t.is(decodeBinary('0x'), undefined);
  t.is(decodeBinary('0xzz'), undefined);
  t.is(decodeBinary('0bAQI'), undefined, 'base64 length must be a multiple of 4');
  t.is(decodeBinary('0bA*I='), undefined);
  t.is(decodeBinary('1234'), undefined);
  t.is(encodeHex(Buffer.from([0xab, 1])), '0xab01');
});
