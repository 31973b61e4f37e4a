import { GeneratorError } from './generator-error';

/** One rpc of a service. */
export interface ProtoMethod {
  /** As declared: `SayHello`. */
  readonly name: string;
  /** Request message, unqualified: `SayHelloRequest`. */
  readonly requestType: string;
  /** Response message, unqualified. */
  readonly responseType: string;
  readonly requestStream: boolean;
  readonly responseStream: boolean;
}

/** The part of a `.proto` file the client generator needs. */
export interface ProtoService {
  /** `greeter.v1`. */
  readonly packageName: string;
  /** `GreeterService`. */
  readonly serviceName: string;
  readonly methods: readonly ProtoMethod[];
}

/** `text` without `//` and block comments (strings in protos never contain comment markers here). */
function stripComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/\/\/[^\n]*/g, ' ');
}

/** The text from `start` (just after an opening brace) to its closing brace. */
function block(text: string, start: number): string {
  let depth = 1;
  for (let i = start; i < text.length; i++) {
    if (text[i] === '{') depth++;
    else if (text[i] === '}' && --depth === 0) return text.slice(start, i);
  }
  return text.slice(start);
}

/**
 * Reads the package and the single service of a proto3 file (the layout of `protos/`: one
 * package, one service per file). Enough of the grammar for `rpc M(stream? A) returns (stream? B);`
 * with or without an options block.
 * @throws {GeneratorError} `UNSUPPORTED_PROTO` without a package, with no or several services,
 *   or with a message type from another package (`google.protobuf.Empty`).
 */
export function parseProtoService(text: string, file: string): ProtoService {
  const source = stripComments(text);
  const packageName = /\bpackage\s+([\w.]+)\s*;/.exec(source)?.[1];
  if (!packageName) throw new GeneratorError('UNSUPPORTED_PROTO', `${file} declares no package`);
  const services = [...source.matchAll(/\bservice\s+(\w+)\s*\{/g)].map((m) => ({ name: m[1]!, body: block(source, m.index + m[0].length) }));
  if (services.length !== 1) throw new GeneratorError('UNSUPPORTED_PROTO', `${file} declares ${services.length} services; the client generator handles exactly one per file`);
  const { name: serviceName, body } = services[0]!;
  const methods = [...body.matchAll(/\brpc\s+(\w+)\s*\(\s*(stream\s+)?([\w.]+)\s*\)\s*returns\s*\(\s*(stream\s+)?([\w.]+)\s*\)/g)].map(
    ([, name, reqStream, requestType, resStream, responseType]): ProtoMethod => ({
      name: name!,
      requestType: requestType!,
      responseType: responseType!,
      requestStream: reqStream !== undefined,
      responseStream: resStream !== undefined,
    }),
  );
  if (methods.length === 0) throw new GeneratorError('UNSUPPORTED_PROTO', `${file}: service ${serviceName} has no rpc`);
  const foreign = methods.flatMap((m) => [m.requestType, m.responseType]).filter((t) => t.includes('.') && !t.startsWith(`${packageName}.`));
  if (foreign.length > 0) {
    throw new GeneratorError('UNSUPPORTED_PROTO', `${file}: messages from other packages (${[...new Set(foreign)].join(', ')}) are not exported by protos/index.ts; wrap them in messages of ${packageName}`);
  }
  const local = (t: string): string => (t.startsWith(`${packageName}.`) ? t.slice(packageName.length + 1) : t);
  return { packageName, serviceName, methods: methods.map((m) => ({ ...m, requestType: local(m.requestType), responseType: local(m.responseType) })) };
}
