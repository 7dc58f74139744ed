// Process entry: `s3vtl <command>`. Operator errors print one line and exit 2,
// as do failures of the system around it (a file system error with its path);
// anything else is a bug and prints its stack.
import { Command } from 'commander';
import { asVtlError } from './control/operations.ts';
import { libraryCommand } from './cli/library.ts';
import { serveCommand } from './cli/serve.ts';
import { recoverCommand } from './cli/recover.ts';
import { tapeCommand } from './cli/tape.ts';
import { cdpCommand } from './cli/cdp.ts';
import { catalogCommand } from './cli/catalog.ts';

// Whatever the gateway creates (catalog, staging, images, sockets) is its owner's alone.
process.umask(0o077);

const program = new Command('s3vtl')
  .description('iSCSI virtual tape library and CDP block mirror over S3')
  .showHelpAfterError();
program.addCommand(serveCommand());
program.addCommand(recoverCommand());
program.addCommand(tapeCommand());
program.addCommand(libraryCommand());
program.addCommand(cdpCommand());
program.addCommand(catalogCommand());

try {
  await program.parseAsync(process.argv);
} catch (e) {
  const known = asVtlError(e);
  const sys = e as NodeJS.ErrnoException;
  const message = known?.message ?? (typeof sys.code === 'string' && /^E[A-Z]+$/.test(sys.code) && typeof sys.syscall === 'string' ? sys.message : undefined);
  if (message !== undefined) {
    process.stderr.write(`s3vtl: ${message}\n`);
    process.exit(2);
  }
  throw e;
}
