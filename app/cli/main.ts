/**
 * The `ferry` command: reads the command line and does what it asks. The commands
 * that talk to other devices load after the WebRTC globals are in place
 * (node-webrtc.ts): PeerJS looks for WebRTC once, when it loads.
 */
import packageJson from '../../package.json' with { type: 'json' };
import { parseArgs, showsUsage, usageErrorMessage, USAGE, type Command } from './args.ts';
import { EXIT, type ExitCode } from './exit-codes.ts';
import { closeWebRtc, installWebRtc } from './node-webrtc.ts';
import { Screen } from './screen.ts';

/** Runs the command `argv` (process.argv.slice(2)) asks for and says how it ended. */
export async function main(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<ExitCode> {
  const parsed = parseArgs(argv, env);
  if (!parsed.ok) {
    const usage = showsUsage(parsed.error) ? `\n${USAGE}\n` : '';
    process.stderr.write(`ferry: ${usageErrorMessage(parsed.error)}\n${usage}`);
    return EXIT.usage;
  }
  const { command } = parsed;
  switch (command.name) {
    case 'help':
      process.stdout.write(`${USAGE}\n`);
      return EXIT.ok;
    case 'version':
      process.stdout.write(`ferry ${packageJson.version}\n`);
      return EXIT.ok;
    case 'hash': {
      // Output piped into a reader that stops early is no fault: end at once, quietly,
      // as a program that SIGPIPE ends would, rather than with a stack trace.
      process.stdout.on('error', (error: NodeJS.ErrnoException) => {
        if (error.code !== 'EPIPE') throw error;
        process.exit(EXIT.outputClosed);
      });
      // Loaded here, not with the WebRTC of the commands that connect: hashing needs none.
      const { hashFiles } = await import('./hash-command.ts');
      return hashFiles(command.paths, process);
    }
    case 'send':
    case 'receive':
      return transfer(command, env);
  }
}

async function transfer(command: Extract<Command, { name: 'send' | 'receive' }>, env: NodeJS.ProcessEnv): Promise<ExitCode> {
  const screen = new Screen(process.stdout, process.stderr);
  // The first Ctrl-C stops the transfer cleanly, keeping what arrived; a second one
  // ends the process at once.
  const interrupted = new Promise<void>((resolve) => {
    process.once('SIGINT', () => {
      process.once('SIGINT', () => process.exit(EXIT.interrupted));
      resolve();
    });
    process.once('SIGTERM', () => resolve());
  });
  await installWebRtc();
  try {
    if (command.name === 'send') {
      const { sendFiles } = await import('./send-command.ts');
      return await sendFiles(command, screen, interrupted);
    }
    const { receiveFiles } = await import('./receive-command.ts');
    return await receiveFiles(command, screen, interrupted, env);
  } finally {
    // A connection still open (stopped mid-transfer) would keep the process running.
    closeWebRtc();
  }
}
