/** Where strict JSON text stops being JSON. */
export interface JsonSyntaxError {
  /** 0-based character offset of the problem. */
  readonly offset: number;
  readonly message: string;
}

/**
 * Checks that `text` is strict JSON (RFC 8259) and says where it is not. `JSON.parse` reports no
 * position on every Node version ("Unexpected token ..." without one on Node 20), and the YAML
 * parser accepts what JSON does not (trailing commas, empty values), so the editor's JSON mode
 * gets its own small scanner.
 * @returns undefined for valid JSON.
 */
export function jsonSyntaxError(text: string): JsonSyntaxError | undefined {
  let i = 0;
  const fail = (message: string): never => {
    throw { offset: i, message } satisfies JsonSyntaxError;
  };
  const ws = (): void => {
    while (i < text.length && ' \t\n\r'.includes(text[i]!)) i++;
  };
  const expect = (c: string, what: string): void => {
    if (text[i] !== c) fail(`expected ${what}${i < text.length ? `, found ${JSON.stringify(text[i])}` : ' before the end'}`);
    i++;
  };
  const string = (): void => {
    expect('"', 'a string');
    while (i < text.length && text[i] !== '"') {
      const c = text.charCodeAt(i);
      if (c < 0x20) fail('control character in a string (escape it)');
      if (text[i] === '\\') {
        i++;
        if (text[i] === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 1, i + 5))) fail('\\u needs 4 hex digits');
          i += 5;
        } else if (text[i] !== undefined && '"\\/bfnrt'.includes(text[i]!)) i++;
        else fail('invalid escape');
      } else i++;
    }
    expect('"', 'the closing quote');
  };
  const value = (): void => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      ws();
      if (text[i] === '}') {
        i++;
        return;
      }
      for (;;) {
        ws();
        string();
        ws();
        expect(':', "':'");
        value();
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        expect('}', "',' or '}'");
        return;
      }
    }
    if (c === '[') {
      i++;
      ws();
      if (text[i] === ']') {
        i++;
        return;
      }
      for (;;) {
        value();
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        expect(']', "',' or ']'");
        return;
      }
    }
    if (c === '"') return string();
    const literal = /^(true|false|null|-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?)/.exec(text.slice(i, i + 400));
    if (!literal) fail(i < text.length ? `unexpected ${JSON.stringify(c)}` : 'unexpected end of the text');
    i += literal![0].length;
  };
  try {
    value();
    ws();
    if (i < text.length) fail('unexpected text after the JSON value');
    return undefined;
  } catch (error) {
    if (typeof error === 'object' && error !== null && 'offset' in error) return error as JsonSyntaxError;
    throw error;
  }
}
