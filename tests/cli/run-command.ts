// Running a command in process, as the CLI would, with its output captured.
import { Command } from 'commander';
import { vi } from 'vitest';

export interface CommandResult {
  stdout: string;
  stderr: string;
  /** What the command threw (a SchedulerError, or commander's error for usage problems). */
  error: unknown;
  /** process.exitCode as the command left it (reset afterwards). */
  exitCode: number | string | undefined;
}

/** Register commands on a fresh program, run `args` (after `cronops`), and collect what they printed. */
export async function runCommand(
  register: ((program: Command) => unknown)[],
  args: string[],
): Promise<CommandResult> {
  const program = new Command('cronops').exitOverride();
  for (const add of register) add(program);
  const stdout: string[] = [];
  const stderr: string[] = [];
  const outSpy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    stdout.push(String(chunk));
    return true;
  });
  const errSpy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    stderr.push(String(chunk));
    return true;
  });
  let error: unknown;
  try {
    await program.parseAsync(['node', 'cronops', ...args]);
  } catch (caught) {
    error = caught;
  } finally {
    outSpy.mockRestore();
    errSpy.mockRestore();
  }
  const exitCode = process.exitCode;
  process.exitCode = undefined;
  return { stdout: stdout.join(''), stderr: stderr.join(''), error, exitCode };
}
