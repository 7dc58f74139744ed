// Process entry: `s3vtl <command>`. Operator errors print one line and exit 2;
// anything else is a bug and prints its stack.
import { Command } from 'commander';
import { VtlError } from './errors.ts';
import { libraryCommand } from './cli/library.ts';
import { serveCommand } from './cli/serve.ts';
import { recoverCommand } from './cli/recover.ts';
import { tapeCommand } from './cli/tape.ts';
import { cdpCommand } from './cli/cdp.ts';

const program = new Command('s3vtl')
  .description('iSCSI virtual tape library and CDP block mirror over S3')
  .showHelpAfterError();
program.addCommand(serveCommand());
program.addCommand(recoverCommand());
program.addCommand(tapeCommand());
program.addCommand(libraryCommand());
program.addCommand(cdpCommand());

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof VtlError) {
    process.stderr.write(`s3vtl: ${e.message}\n`);
    process.exit(2);
  }
  throw e;
}
