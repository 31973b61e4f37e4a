import { names } from '@nx/devkit';
import { GeneratorError } from './generator-error';

/**
 * Names of the reference apps and tools, and of the repository's own folders, that a generated
 * service may not take: a service called `gateway` would shadow the gateway's registrations,
 * config namespace and compose entry.
 */
export const RESERVED_SERVICE_NAMES: ReadonlySet<string> = new Set([
  'gateway', 'greeter', 'worker', 'console', 'console-ui', 'epctl', 'backup', 'ops',
  'protos', 'generated', 'grpc', 'health', 'services', 'config', 'locks', 'elections', 'jobs', 'apps', 'libs', 'tools',
]);

/** JavaScript reserved words (and strict-mode ones): unusable as the identifiers generated from the name. */
export const JS_RESERVED_WORDS: ReadonlySet<string> = new Set([
  'await', 'break', 'case', 'catch', 'class', 'const', 'continue', 'debugger', 'default', 'delete', 'do', 'else',
  'enum', 'export', 'extends', 'false', 'finally', 'for', 'function', 'if', 'implements', 'import', 'in',
  'instanceof', 'interface', 'let', 'new', 'null', 'package', 'private', 'protected', 'public', 'return',
  'static', 'super', 'switch', 'this', 'throw', 'true', 'try', 'typeof', 'var', 'void', 'while', 'with', 'yield',
  'arguments', 'eval', 'undefined', 'NaN', 'Infinity',
]);

/** Longest service name: it prefixes environment variables, etcd keys and container names. */
export const MAX_SERVICE_NAME_LENGTH = 30;

/** Every spelling of a service name the templates use. */
export interface ServiceNames {
  /** kebab-case, as given: `order-history` (app folder, etcd keys, registry name). */
  readonly name: string;
  /** `OrderHistory` (classes). */
  readonly className: string;
  /** `orderHistory` (variables). */
  readonly propertyName: string;
  /** `ORDER_HISTORY` (environment variables, constants). */
  readonly constantName: string;
  /** `order_history`: the proto package's first part (`order_history.v1`). */
  readonly protoName: string;
  /** `order_history.v1`. */
  readonly protoPackage: string;
  /** `OrderHistoryService`. */
  readonly serviceName: string;
  /** `protos/order-history/v1/order-history.proto`. */
  readonly protoPath: string;
}

/**
 * Why `name` cannot name a service, or `undefined` when it can: lower-case kebab-case starting
 * with a letter (`billing`, `order-history`), at most {@link MAX_SERVICE_NAME_LENGTH} characters,
 * neither reserved nor a JavaScript reserved word.
 */
export function serviceNameProblem(name: unknown): string | undefined {
  if (typeof name !== 'string' || name.length === 0) return 'a name is required, e.g. `billing`';
  const shown = JSON.stringify(name);
  if (/\s/.test(name)) return `${shown} contains white space; use kebab-case, e.g. ${JSON.stringify(name.trim().replace(/\s+/g, '-').toLowerCase())}`;
  if (/[A-Z]/.test(name)) return `${shown} contains upper-case letters; use lower-case kebab-case, e.g. ${JSON.stringify(names(name).fileName)}`;
  if (/^[0-9]/.test(name)) return `${shown} starts with a digit; a service name starts with a letter`;
  if (!/^[a-z][a-z0-9]*(-[a-z][a-z0-9]*)*$/.test(name)) {
    return `${shown} is not kebab-case: lower-case letters and digits, words that start with a letter, separated by single dashes (e.g. \`order-history\`)`;
  }
  if (name.length > MAX_SERVICE_NAME_LENGTH) return `${shown} is longer than ${MAX_SERVICE_NAME_LENGTH} characters`;
  if (RESERVED_SERVICE_NAMES.has(name)) return `${shown} is reserved (an app, tool or key prefix of this repository has that name)`;
  const identifiers = [name, names(name).propertyName, name.replace(/-/g, '_')];
  const word = identifiers.find((id) => JS_RESERVED_WORDS.has(id));
  if (word) return `${shown} is a JavaScript reserved word`;
  return undefined;
}

/**
 * Every spelling of a valid service name.
 * @throws {GeneratorError} `INVALID_NAME` with the reason from {@link serviceNameProblem}.
 */
export function serviceNames(name: unknown): ServiceNames {
  const problem = serviceNameProblem(name);
  if (problem !== undefined) throw new GeneratorError('INVALID_NAME', `invalid service name: ${problem}`);
  const n = names(name as string);
  const protoName = n.fileName.replace(/-/g, '_');
  return {
    name: n.fileName,
    className: n.className,
    propertyName: n.propertyName,
    constantName: n.constantName,
    protoName,
    protoPackage: `${protoName}.v1`,
    serviceName: `${n.className}Service`,
    protoPath: `protos/${n.fileName}/v1/${n.fileName}.proto`,
  };
}
