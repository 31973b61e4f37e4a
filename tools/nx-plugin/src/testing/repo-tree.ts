import type { Tree } from '@nx/devkit';
import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Repository root (this file is `tools/nx-plugin/src/testing/repo-tree.ts`). */
export const REPO_ROOT = join(__dirname, '../../../..');

/**
 * The repository files the generators read or edit, copied from this checkout: the tests run
 * against the layout the generators meet in practice, and fail when it changes under them.
 */
export const REPO_FILES = [
  'protos/index.ts',
  'protos/greeter/v1/greeter.proto',
  'protos/worker/v1/worker.proto',
  'docker-compose.yml',
  'deploy/prometheus.yml',
  'deploy/access.yaml',
  'tools/demo/src/app-process.ts',
  'apps/gateway/project.json',
  'apps/gateway/src/gateway.module.ts',
  'apps/gateway/src/tokens.ts',
  'apps/greeter/project.json',
  'apps/greeter/src/greeter.module.ts',
  'apps/greeter/src/tokens.ts',
  'libs/etcd/project.json',
] as const;

/** An empty Nx workspace tree with {@link REPO_FILES} (or `files`) from this checkout. */
export function repoTree(files: readonly string[] = REPO_FILES): Tree {
  const tree = createTreeWithEmptyWorkspace();
  for (const file of files) tree.write(file, readFileSync(join(REPO_ROOT, file), 'utf8'));
  return tree;
}

/** Every file of the tree with its content (to compare a tree before and after a refusal). */
export function snapshot(tree: Tree): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (dir: string): void => {
    for (const child of tree.children(dir)) {
      const path = dir === '' ? child : `${dir}/${child}`;
      if (tree.isFile(path)) out.set(path, tree.read(path, 'utf-8') ?? '');
      else walk(path);
    }
  };
  walk('');
  return out;
}
