// The drill guest's events.log (integration/guest/db-drill.sh): commits with the guest's clock
// before and after each COMMIT, the bookmark's lock, the DROP, and clock pings answered by the
// host. Clock turns guest seconds into host milliseconds with the error that goes with it.
export interface Commit { n: number; s: number; e: number } // guest seconds
export interface Clock {
  offsetS: number; // host - guest
  errS: number; // bound on |offset error|: half the best round trip, plus how much the offset moved
  rttMs: number;
  driftMs: number;
  hostMs(guestS: number): number;
}
export interface Events {
  commits: Commit[];
  locked?: { n: number; t: number };
  unlocked?: { n: number; t: number };
  drop?: { n: number; s: number; e: number };
  fail: string[];
  pings: { tag: string; g1: number; h: number; g2: number }[];
  clock(): Clock;
}

export function parseEvents(text: string): Events {
  const ev: Events = { commits: [], fail: [], pings: [], clock: () => clockOf(ev.pings) };
  for (const line of text.split('\n')) {
    const w = line.split(' ');
    const num = (i: number) => Number(w[i]);
    switch (w[0]) {
      case 'c': ev.commits.push({ n: num(1), s: num(2), e: num(3) }); break;
      case 'locked': ev.locked = { n: num(1), t: num(2) }; break;
      case 'unlocked': ev.unlocked = { n: num(1), t: num(2) }; break;
      case 'drop': ev.drop = { n: num(1), s: num(2), e: num(3) }; break;
      case 'clock': ev.pings.push({ tag: w[1]!, g1: num(2), h: num(3), g2: num(4) }); break;
      case 'fail': ev.fail.push(line); break;
      default: break;
    }
  }
  return ev;
}

/** The ping with the shortest round trip of each tag; the offset from the best one overall. */
export function clockOf(pings: Events['pings']): Clock {
  if (pings.length === 0) throw new Error('no clock pings in events.log');
  const best = new Map<string, Events['pings'][number]>();
  for (const p of pings) {
    const b = best.get(p.tag);
    if (!b || p.g2 - p.g1 < b.g2 - b.g1) best.set(p.tag, p);
  }
  const offs = [...best.values()].map((p) => p.h - (p.g1 + p.g2) / 2);
  const top = [...best.values()].reduce((a, b) => (b.g2 - b.g1 < a.g2 - a.g1 ? b : a));
  const offsetS = top.h - (top.g1 + top.g2) / 2;
  const rttS = top.g2 - top.g1;
  const driftS = Math.max(...offs) - Math.min(...offs);
  const errS = Math.max(...[...best.values()].map((p) => (p.g2 - p.g1) / 2)) + driftS;
  return { offsetS, errS, rttMs: rttS * 1000, driftMs: driftS * 1000, hostMs: (g) => (g + offsetS) * 1000 };
}
