// A target with a fake disk LUN and a few initiator moves, for the limit tests. Not a test file.
import { IscsiServer } from '../../src/iscsi/server.ts';
import { silentLogger } from '../../src/iscsi/logger.ts';
import type { LogicalUnit, ScsiCommand, ScsiResult } from '../../scsi/command.ts';
import { dataOut, ISID, loginPdu, parseTextData, scsiCmd, TestInitiator, text, type InPdu } from './helpers.ts';

export const DISK = 'iqn.2024-01.test:disk';
export const LOCKED = 'iqn.2024-01.test:locked';
export const SECRET = 'abcdefghijklmnop';

/** Accepts every WRITE(10) (data is dropped) and answers the rest GOOD. */
export class SinkLu implements LogicalUnit {
  readonly peripheralType = 0;
  readonly written: number[] = [];
  last: Buffer | undefined;
  async execute(cmd: ScsiCommand): Promise<ScsiResult> {
    if (cmd.cdb[0] === 0x2a) {
      this.written.push(cmd.dataOut?.length ?? 0);
      this.last = Buffer.from(cmd.dataOut ?? Buffer.alloc(0));
    }
    return { status: 0 };
  }
  reset(): void {}
  nexusLost(): void {}
  async close(): Promise<void> {}
}

export async function start(opts: Partial<ConstructorParameters<typeof IscsiServer>[0]> = {}) {
  const lu = new SinkLu();
  const server = new IscsiServer({
    listen: { host: '127.0.0.1', port: 0 },
    targets: [
      { iqn: DISK, luns: new Map([[0, lu]]) },
      { iqn: LOCKED, luns: new Map(), chap: { user: 'backup', secret: SECRET } },
    ],
    logger: silentLogger,
    nopIntervalMs: 0,
    ...opts,
  });
  const { port } = await server.listen();
  return { server, port, lu };
}

export async function login(
  port: number,
  keys: [string, string][],
  opts: { isid?: Buffer; name?: string } = {},
): Promise<{ ini: TestInitiator; rsp: InPdu; status: number }> {
  const ini = await TestInitiator.open(port);
  ini.send(loginPdu({ transit: true, csg: 1, nsg: 3, cmdSN: 1, isid: opts.isid ?? ISID, data: text([['InitiatorName', opts.name ?? 'iqn.2024-01.test:ini'], ...keys]) }));
  const rsp = (await ini.next())!;
  return { ini, rsp, status: rsp.bhs.readUInt16BE(36) };
}

/** Writes without immediate or unsolicited data: every byte is solicited by an R2T. */
export const SOLICITED: [string, string][] = [
  ['TargetName', DISK],
  ['ImmediateData', 'No'],
  ['InitialR2T', 'Yes'],
  ['MaxBurstLength', String(1024 * 1024)],
  ['MaxRecvDataSegmentLength', '262144'],
  ['MaxOutstandingR2T', '16'],
];

export const isid = (n: number): Buffer => Buffer.from([0x40, 0, 0, 0, 0, n]);

export function write10(itt: number, cmdSN: number, length: number, o: { immediate?: boolean; data?: Buffer; final?: boolean } = {}): Buffer {
  const cdb = Buffer.alloc(10);
  cdb[0] = 0x2a;
  cdb.writeUInt16BE(Math.min(0xffff, length / 512), 7);
  return scsiCmd({ itt, cmdSN, cdb, write: true, final: o.final ?? true, edtl: length, immediate: o.immediate, data: o.data });
}

/** Answer one R2T in full with Data-Out PDUs of 256 KiB. */
export function answerR2T(ini: TestInitiator, r2t: InPdu, source?: Buffer): void {
  const ttt = r2t.bhs.readUInt32BE(20);
  const offset = r2t.bhs.readUInt32BE(40);
  const length = r2t.bhs.readUInt32BE(44);
  const seg = 256 * 1024;
  for (let done = 0, sn = 0; done < length; done += seg, sn++) {
    const n = Math.min(seg, length - done);
    const data = source?.subarray(offset + done, offset + done + n) ?? Buffer.alloc(n, 0x5a);
    ini.send(dataOut({ itt: r2t.itt, ttt, dataSN: sn, offset: offset + done, final: done + n === length, data }));
  }
}

/** PDUs that arrive within `ms`, until the first pause of that length. */
export async function drain(ini: TestInitiator, ms = 300): Promise<InPdu[]> {
  const out: InPdu[] = [];
  for (let p = await ini.next(ms); p !== undefined; p = await ini.next(ms)) out.push(p);
  return out;
}

export { parseTextData };
