import { applyChangesToString, ChangeType, type StringChange, type Tree } from '@nx/devkit';
import ts from 'typescript';

/** Where a provider was registered. */
export interface ProviderRegistration {
  /** The module file that got the provider. */
  readonly file: string;
}

/** The `providers: [...]` array literals of a file, in source order. */
function providerArrays(source: ts.SourceFile): ts.ArrayLiteralExpression[] {
  const found: ts.ArrayLiteralExpression[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isPropertyAssignment(node) && node.name.getText(source) === 'providers' && ts.isArrayLiteralExpression(node.initializer)) {
      found.push(node.initializer);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/**
 * The Nest module files of an app (`src/*.module.ts`), the one named after the app first.
 */
export function appModuleFiles(tree: Tree, app: string): string[] {
  const dir = `apps/${app}/src`;
  if (!tree.exists(dir)) return [];
  return tree
    .children(dir)
    .filter((f) => f.endsWith('.module.ts'))
    .sort((a, b) => Number(b === `${app}.module.ts`) - Number(a === `${app}.module.ts`) || a.localeCompare(b))
    .map((f) => `${dir}/${f}`);
}

/**
 * Registers `className` (imported from `importPath`) as a provider of the app's Nest module:
 * appended to the first `providers: [...]` array of the first module file that has exactly
 * one, in the array's own layout, with the import after the file's last import. Returns
 * `undefined` (and changes nothing) when no module file has a single providers array.
 */
export function addProviderToAppModule(tree: Tree, app: string, className: string, importPath: string): ProviderRegistration | undefined {
  for (const file of appModuleFiles(tree, app)) {
    const text = tree.read(file, 'utf-8') ?? '';
    const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
    const arrays = providerArrays(source);
    if (arrays.length !== 1) continue;
    const array = arrays[0]!;
    const changes: StringChange[] = [];
    const imports = source.statements.filter(ts.isImportDeclaration);
    const lastImport = imports[imports.length - 1];
    changes.push({ type: ChangeType.Insert, index: lastImport ? lastImport.getEnd() : 0, text: `${lastImport ? '\n' : ''}import { ${className} } from '${importPath}';${lastImport ? '' : '\n'}` });
    const elements = array.elements;
    const last = elements[elements.length - 1];
    if (!last) {
      changes.push({ type: ChangeType.Insert, index: array.getStart(source) + 1, text: className });
    } else {
      const multiline = text.slice(array.getStart(source), array.getEnd()).includes('\n');
      const lineStart = text.lastIndexOf('\n', last.getStart(source)) + 1;
      const indent = /^\s*/.exec(text.slice(lineStart, last.getStart(source)))![0];
      const trailingComma = elements.hasTrailingComma;
      changes.push({
        type: ChangeType.Insert,
        index: last.getEnd() + (trailingComma ? text.slice(last.getEnd()).indexOf(',') + 1 : 0),
        text: multiline ? `${trailingComma ? '' : ','}\n${indent}${className}${trailingComma ? ',' : ''}` : `${trailingComma ? ' ' : ', '}${className}`,
      });
    }
    tree.write(file, applyChangesToString(text, changes));
    return { file };
  }
  return undefined;
}
