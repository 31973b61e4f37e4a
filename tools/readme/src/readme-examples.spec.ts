import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';

const ROOT = join(__dirname, '..', '..', '..');

/** The ```ts blocks of a markdown file. */
function tsBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
}

describe('README examples', () => {
  const blocks = tsBlocks(readFileSync(join(ROOT, 'README.md'), 'utf8'));

  it('has TypeScript examples', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(5);
  });

  it('compile against the current code', () => {
    // Inside the repository (tmp/ is ignored) so node_modules resolves as it does for users.
    mkdirSync(join(ROOT, 'tmp'), { recursive: true });
    const dir = mkdtempSync(join(ROOT, 'tmp', 'readme-'));
    try {
      // .mts: each block is an ES module, so top-level await is allowed.
      const files = blocks.map((code, i) => {
        const file = join(dir, `example-${i}.mts`);
        writeFileSync(file, code);
        return file;
      });
      const base = ts.readConfigFile(join(ROOT, 'tsconfig.base.json'), ts.sys.readFile).config as { compilerOptions: object };
      const { options } = ts.convertCompilerOptionsFromJson({ ...base.compilerOptions, noEmit: true, types: ['node'] }, ROOT);
      const program = ts.createProgram(files, options);
      const diagnostics = ts.getPreEmitDiagnostics(program).filter((d) => d.file === undefined || files.includes(d.file.fileName));
      const report = diagnostics.map((d) => {
        const where = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start) : undefined;
        const block = d.file ? files.indexOf(d.file.fileName) : -1;
        return `block ${block} line ${(where?.line ?? 0) + 1}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
      });
      expect(report).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
