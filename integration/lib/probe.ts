// Is the target alive? Its process has not exited AND a fresh session still gets
// answers to well-behaved commands. A pid alone says neither.
import { Initiator } from './initiator.ts';
import type { Target } from './target.ts';

/** Undefined when alive; otherwise what failed. */
export async function liveness(target: Target, iqn: string, lun: number, timeoutMs = 15_000): Promise<string | undefined> {
  const ended = target.exited();
  if (ended !== undefined) return `the target process exited (code ${ended.code}, signal ${ended.signal})`;
  let ini: Initiator | undefined;
  const probe = async (): Promise<string | undefined> => {
    ini = await Initiator.login({ host: '127.0.0.1', port: target.port, targetName: iqn, isid: Buffer.from([0x80, 0, 0, 0x5e, 0, 1]) });
    // TEST UNIT READY until the new nexus has taken its unit attentions (29/xx, 2A/xx, ...).
    let tur = await ini.command(lun, Buffer.alloc(6));
    for (let i = 0; i < 8 && tur.status === 0x02 && (tur.sense[2]! & 0x0f) === 0x06; i++) tur = await ini.command(lun, Buffer.alloc(6));
    if (tur.status !== 0x00 && tur.status !== 0x02) return `TEST UNIT READY: status ${tur.status}`;
    const inq = await ini.command(lun, Buffer.from([0x12, 0, 0, 0, 36, 0]), { readLength: 36 });
    if (inq.status !== 0x00 || inq.data.length < 36) return `INQUIRY: status ${inq.status}, ${inq.data.length} bytes`;
    await ini.logout();
    return undefined;
  };
  try {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<string>((r) => { timer = setTimeout(() => r(`no answer within ${timeoutMs} ms`), timeoutMs); });
    const r = await Promise.race([probe(), timeout]);
    clearTimeout(timer);
    return r;
  } catch (e) {
    return `a fresh session failed: ${(e as Error).message}`;
  } finally {
    (ini as Initiator | undefined)?.destroy();
  }
}
