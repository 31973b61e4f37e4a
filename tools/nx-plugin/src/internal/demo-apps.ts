/** The demo launcher's process helper, whose `AppName` type lists the apps `AppProcess` starts. */
export const DEMO_APP_PROCESS = 'tools/demo/src/app-process.ts';

const APP_NAME_LINE = /^export type AppName = ('[a-z0-9-]+'(?: \| '[a-z0-9-]+')*);$/m;

/**
 * `text` (of {@link DEMO_APP_PROCESS}) with `name` added to the one-line `AppName` union, so
 * `AppProcess.start({ app: name, ... })` type-checks; the same text when it is listed already;
 * `undefined` when the line is not a one-line union of string literals (then nothing is edited).
 * Widening the type changes no behaviour: `appCommand()` builds the path from the name.
 */
export function withAppName(text: string, name: string): string | undefined {
  const match = APP_NAME_LINE.exec(text);
  if (!match) return undefined;
  const listed = match[1]!.split(' | ').map((s) => s.slice(1, -1));
  if (listed.includes(name)) return text;
  return text.replace(APP_NAME_LINE, `export type AppName = ${[...listed, name].map((s) => `'${s}'`).join(' | ')};`);
}
