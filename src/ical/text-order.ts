// One order for text everywhere: UTF-16 code units, the same on every machine.
// String#localeCompare would follow the process's locale, and its first call
// costs a process several milliseconds while ICU loads a collator.

/** Code-unit order, the same in every implementation (no locale). */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
