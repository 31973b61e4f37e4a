import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import { addProviderToAppModule } from './nest-module';

describe('addProviderToAppModule', () => {
  const withModule = (text: string, file = 'apps/a/src/a.module.ts') => {
    const tree = createTreeWithEmptyWorkspace();
    tree.write(file, text);
    return tree;
  };

  it.each([
    ['a one-line array', 'providers: [A, B]', 'providers: [A, B, X]'],
    ['a one-line array with a trailing comma', 'providers: [A,]', 'providers: [A, X]'],
    ['an empty array', 'providers: []', 'providers: [X]'],
    ['a multi-line array', 'providers: [\n    A,\n    B\n  ]', 'providers: [\n    A,\n    B,\n    X\n  ]'],
    ['a multi-line array with a trailing comma', 'providers: [\n    A,\n  ]', 'providers: [\n    A,\n    X,\n  ]'],
  ])('appends to %s, keeping its layout, and imports the class', (_what, before, after) => {
    const tree = withModule(`import { Module } from '@nestjs/common';\n@Module({ ${before} })\nexport class AModule {}\n`);
    expect(addProviderToAppModule(tree, 'a', 'X', './x')).toEqual({ file: 'apps/a/src/a.module.ts' });
    expect(tree.read('apps/a/src/a.module.ts', 'utf-8')).toBe(`import { Module } from '@nestjs/common';\nimport { X } from './x';\n@Module({ ${after} })\nexport class AModule {}\n`);
  });

  it('prefers the module named after the app and skips files with several providers arrays', () => {
    const tree = withModule("@Module({ providers: [A] })\nclass One {}\n@Module({ providers: [B] })\nclass Two {}\n");
    tree.write('apps/a/src/other.module.ts', '@Module({ providers: [C] })\nclass Other {}\n');
    expect(addProviderToAppModule(tree, 'a', 'X', './x')).toEqual({ file: 'apps/a/src/other.module.ts' });
    expect(tree.read('apps/a/src/a.module.ts', 'utf-8')).not.toContain('X');
  });

  it('returns undefined when no module has a providers array', () => {
    expect(addProviderToAppModule(withModule('@Module({})\nclass A {}\n'), 'a', 'X', './x')).toBeUndefined();
  });
});
