import type { Command } from 'commander';

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/**
 * `-m, --metadata 'key: value'` and grpcurl's spelling of it, `-H 'name: value'`, as one repeatable option: every
 * `-H` is appended to `metadata` where it stands among the `-m`s, so a command reads one list in the order typed.
 * Commander gives an option one short flag, so `-H` is an option of its own whose values are moved over.
 */
export function addMetadataOption(cmd: Command, description: string): Command {
  cmd
    .option('-m, --metadata <key: value>', `${description} (repeatable)`, collect)
    .option('-H, --header <key: value>', 'the same as -m, as grpcurl spells it');
  cmd.on('option:header', (value: string) => {
    cmd.setOptionValueWithSource('metadata', collect(value, cmd.getOptionValue('metadata') as string[] | undefined), 'cli');
  });
  return cmd;
}
