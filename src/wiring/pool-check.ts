// Every cartridge in the catalog must name a pool the configuration defines:
// its records are written the way the pool says (encryption, compression), so
// a cartridge whose pool vanished from the config (a typo, a removed section,
// another config file used by `tape create`) would be written in clear text.
// serve refuses to start instead, naming the cartridges and the pools.
import type { Catalog } from '../catalog/catalog.ts';
import { poolNames, type Config } from '../config.ts';
import { VtlError } from '../errors.ts';

/** How many barcodes a message names per pool before "and N more". */
const SHOWN = 5;

export function checkCartridgePools(catalog: Catalog, config: Pick<Config, 'pools'>): void {
  const defined = poolNames(config);
  const missing = new Map<string, string[]>();
  for (const row of catalog.cartridges.list()) {
    const pool = row.pool ?? 'default';
    if (defined.includes(pool)) continue;
    const list = missing.get(pool) ?? [];
    list.push(row.barcode);
    missing.set(pool, list);
  }
  if (missing.size === 0) return;
  const parts = [...missing].map(([pool, barcodes]) => {
    const shown = barcodes.slice(0, SHOWN).join(', ');
    return `${pool} (${shown}${barcodes.length > SHOWN ? ` and ${barcodes.length - SHOWN} more` : ''})`;
  });
  throw new VtlError('VTL_POOL_UNKNOWN',
    `cartridges name pools the configuration does not define: ${parts.join('; ')}. The configuration defines ${defined.join(', ')}; `
    + 'define the missing pools under pools (with the encryption their cartridges were written with), or they would be written without it');
}
