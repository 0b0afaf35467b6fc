// Options and help pieces that several commands share, so that each reads the
// same in every --help.

import { Option } from 'commander';

export const examples = (...lines: string[]) => `\nExamples:\n${lines.map((l) => `  $ ${l}`).join('\n')}\n`;

export function jsonOption(): Option {
  return new Option('--json', 'print JSON on stdout (pretty-printed; arrays are sorted)');
}

export function userOption(required: boolean): Option {
  const option = new Option('--user <addr>', 'the calendar user (alice@example.com or mailto:alice@example.com)');
  if (required) option.makeOptionMandatory();
  return option;
}
