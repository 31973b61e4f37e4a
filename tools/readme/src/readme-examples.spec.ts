import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';

const ROOT = join(__dirname, '..', '..', '..');

/** Libraries whose README must carry a compiled example (issue #14: copy a library alone). */
const LIBRARIES_WITH_EXAMPLES = ['etcd', 'discovery', 'lb-resolver', 'config', 'lock', 'nest', 'telemetry', 'ops'];

/** One ```ts block of a markdown file. */
interface Block {
  /** The markdown file, relative to the repository root. */
  readonly readme: string;
  /** Index of the block among the file's ```ts blocks, from 0. */
  readonly index: number;
  /** Line of the markdown file the block's code starts on, from 1. */
  readonly line: number;
  readonly code: string;
}

/** The ```ts blocks of a markdown file (indented ones too, as inside a list item). */
function tsBlocks(readme: string): Block[] {
  const markdown = readFileSync(join(ROOT, readme), 'utf8');
  return [...markdown.matchAll(/```ts\n([\s\S]*?)```/g)].map((m, index) => ({
    readme,
    index,
    line: markdown.slice(0, m.index).split('\n').length + 1,
    code: m[1]!,
  }));
}

/** `libs/*\/README.md`, `apps/*\/README.md` and `apps/README.md`, sorted. */
function projectReadmes(): string[] {
  const found: string[] = [];
  for (const dir of ['libs', 'apps']) {
    if (existsSync(join(ROOT, dir, 'README.md'))) found.push(`${dir}/README.md`);
    for (const entry of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
      if (entry.isDirectory() && existsSync(join(ROOT, dir, entry.name, 'README.md'))) found.push(`${dir}/${entry.name}/README.md`);
    }
  }
  return found.sort();
}

/**
 * Type-checks every block as its own ES module (`.mts`, so top-level await is allowed) in one
 * program, against the current code, and returns one line per diagnostic, naming the file, the
 * block index and the line (in the block and in the markdown file).
 */
function compile(blocks: readonly Block[]): Map<string, string[]> {
  // Inside the repository (tmp/ is ignored) so node_modules resolves as it does for users.
  mkdirSync(join(ROOT, 'tmp'), { recursive: true });
  const dir = mkdtempSync(join(ROOT, 'tmp', 'readme-'));
  try {
    const files = new Map<string, Block>();
    blocks.forEach((block, i) => {
      const file = join(dir, `example-${i}.mts`);
      writeFileSync(file, block.code);
      files.set(file, block);
    });
    const base = ts.readConfigFile(join(ROOT, 'tsconfig.base.json'), ts.sys.readFile).config as { compilerOptions: object };
    const { options } = ts.convertCompilerOptionsFromJson({ ...base.compilerOptions, noEmit: true, types: ['node'] }, ROOT);
    const program = ts.createProgram([...files.keys()], options);
    const report = new Map<string, string[]>();
    for (const d of ts.getPreEmitDiagnostics(program)) {
      const block = d.file ? files.get(d.file.fileName) : undefined;
      if (d.file && !block) continue; // a library's own diagnostics are its typecheck target's business
      const where = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line : 0;
      const readme = block?.readme ?? '(program)';
      const at = block ? `block ${block.index} line ${where + 1} (${readme}:${block.line + where})` : 'options';
      const lines = report.get(readme) ?? [];
      lines.push(`${readme} ${at}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
      report.set(readme, lines);
    }
    return report;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('README examples', () => {
  const rootBlocks = tsBlocks('README.md');
  const readmes = projectReadmes();
  const projectBlocks = readmes.flatMap(tsBlocks);
  let report: Map<string, string[]>;

  beforeAll(() => {
    report = compile([...rootBlocks, ...projectBlocks]);
  }, 180_000);

  it('has TypeScript examples', () => {
    expect(rootBlocks.length).toBeGreaterThanOrEqual(5);
  });

  it('compile against the current code', () => {
    expect(report.get('README.md') ?? []).toEqual([]);
    expect(report.get('(program)') ?? []).toEqual([]);
  });

  it("has an example in every library's README", () => {
    const without = LIBRARIES_WITH_EXAMPLES.map((lib) => `libs/${lib}/README.md`).filter(
      (readme) => !projectBlocks.some((b) => b.readme === readme),
    );
    expect(without).toEqual([]);
  });

  it("compile in every library's and app's README", () => {
    const failures = readmes.flatMap((readme) => report.get(readme) ?? []);
    expect(failures).toEqual([]);
  });
});
