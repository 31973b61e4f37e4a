import type { Tree } from '@nx/devkit';
import { GeneratorError } from './generator-error';

/** `protos/index.ts`: the contracts' constants and the generated types the apps import. */
export const PROTOS_INDEX = 'protos/index.ts';

/** What one proto contributes to `protos/index.ts`. */
export interface ProtoExports {
  /** `BILLING`: the constants are `BILLING_PROTO`, `BILLING_PACKAGE`, `BILLING_SERVICE`. */
  readonly constantName: string;
  /** Path under `protos/`: `billing/v1/billing.proto`. */
  readonly protoFile: string;
  /** `billing.v1`. */
  readonly protoPackage: string;
  /** `BillingService`. */
  readonly serviceName: string;
  /** Messages exported as `X` and `X__Output` (one generated file each). */
  readonly messages: readonly string[];
}

const PROTO_CONST = /^export const (\w+)_PROTO = join\(PROTO_ROOT, '[^']+'\);$/gm;
const SERVICE_CONST = /^export const (\w+)_SERVICE = '[^']+';$/gm;
const TYPE_EXPORT = /^export type \{[^}]*\} from '\.\/generated\/[^']+';$/gm;

/** The constant prefixes `protos/index.ts` defines (`GREETER`, `WORKER`, ...). */
export function exportedProtoConstants(text: string): Set<string> {
  return new Set([...text.matchAll(PROTO_CONST)].map((m) => m[1]!));
}

/** Type names `protos/index.ts` exports (`SayHelloRequest`, `SayHelloRequest__Output`, ...). */
export function exportedProtoTypes(text: string): Set<string> {
  const types = new Set<string>();
  for (const m of text.matchAll(TYPE_EXPORT)) {
    const list = m[0].slice(m[0].indexOf('{') + 1, m[0].indexOf('}'));
    for (const entry of list.split(',')) {
      const name = entry.trim().split(/\s+as\s+/).pop();
      if (name) types.add(name);
    }
  }
  return types;
}

function lastMatchEnd(text: string, pattern: RegExp, what: string): number {
  const all = [...text.matchAll(pattern)];
  const last = all[all.length - 1];
  if (!last) {
    throw new GeneratorError(
      'UNSUPPORTED_WORKSPACE',
      `${PROTOS_INDEX} has no ${what} line to add the new contract after; it no longer has the layout this generator edits (see tools/nx-plugin/README.md)`,
    );
  }
  return last.index + last[0].length;
}

/**
 * The text of `protos/index.ts` with `proto`'s constants (after the last `*_PROTO` and
 * `*_SERVICE` constants) and type exports (after the last type export) added, in the
 * greeter's layout. The generated type files are `generated/<package path>/<Message>.ts`.
 * @throws {GeneratorError} `ALREADY_EXISTS` when the constants exist, `UNSUPPORTED_WORKSPACE`
 *   when the file lacks the lines the new ones go after.
 */
export function withProtoExports(text: string, proto: ProtoExports): string {
  const c = proto.constantName;
  if (exportedProtoConstants(text).has(c) || new RegExp(`^export const ${c}_(PACKAGE|SERVICE) =`, 'm').test(text)) {
    throw new GeneratorError('ALREADY_EXISTS', `${PROTOS_INDEX} already defines ${c}_PROTO or ${c}_PACKAGE/${c}_SERVICE`);
  }
  const generated = `./generated/${proto.protoPackage.replace(/\./g, '/')}`;
  const insertions: Array<{ at: number; text: string }> = [
    {
      at: lastMatchEnd(text, PROTO_CONST, "`export const X_PROTO = join(PROTO_ROOT, '...');`"),
      text: `\n/** \`protos/${proto.protoFile}\`, absolute. */\nexport const ${c}_PROTO = join(PROTO_ROOT, '${proto.protoFile}');`,
    },
    {
      at: lastMatchEnd(text, SERVICE_CONST, "`export const X_SERVICE = '...';`"),
      text: `\nexport const ${c}_PACKAGE = '${proto.protoPackage}';\nexport const ${c}_SERVICE = '${proto.serviceName}';`,
    },
    {
      at: lastMatchEnd(text, TYPE_EXPORT, "`export type { ... } from './generated/...';`"),
      text: [
        ...proto.messages.map((m) => `\nexport type { ${m}, ${m}__Output } from '${generated}/${m}';`),
        `\nexport type { ${proto.serviceName}Client, ${proto.serviceName}Handlers } from '${generated}/${proto.serviceName}';`,
      ].join(''),
    },
  ];
  let out = text;
  for (const { at, text: inserted } of insertions.sort((a, b) => b.at - a.at)) out = out.slice(0, at) + inserted + out.slice(at);
  return out;
}

/**
 * Adds `proto`'s constants and types to `protos/index.ts` in the tree.
 * @throws {GeneratorError} see {@link withProtoExports}; `UNSUPPORTED_WORKSPACE` without the file.
 */
export function addProtoExports(tree: Tree, proto: ProtoExports): void {
  const text = tree.read(PROTOS_INDEX, 'utf-8');
  if (text === null) throw new GeneratorError('UNSUPPORTED_WORKSPACE', `${PROTOS_INDEX} not found: run the generator at the root of the etcd-patterns workspace`);
  tree.write(PROTOS_INDEX, withProtoExports(text, proto));
}
