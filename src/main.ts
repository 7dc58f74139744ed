// Process entry: `s3vtl <command>`. Operator errors print one line and exit 2;
// anything else is a bug and prints its stack.
import { Command } from 'commander';
import { VtlError } from './errors.ts';
import { serveCommand } from './cli/serve.ts';

const program = new Command('s3vtl')
  .description('iSCSI virtual tape library and CDP block mirror over S3')
  .showHelpAfterError();
program.addCommand(serveCommand());

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof VtlError) {
    process.stderr.write(`s3vtl: ${e.message}\n`);
    process.exit(2);
  }
  throw e;
}
