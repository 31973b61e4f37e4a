import { z } from 'zod';
import { ConfigValidationError } from './errors';
import { validateDocument } from './validate-document';

describe('validateDocument', () => {
  const schema = z.object({ server: z.object({ port: z.number().int().default(80) }), name: z.string() });

  it('returns the parsed value, defaults applied', () => {
    expect(validateDocument(schema, { server: {}, name: 'web' }, 'config prod/web does not match its schema')).toEqual({ server: { port: 80 }, name: 'web' });
  });

  it('throws CONFIG_VALIDATION_FAILED with slash-separated issue paths', () => {
    let caught: unknown;
    try {
      validateDocument(schema, { server: { port: 'x' } }, 'config prod/web does not match its schema');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigValidationError);
    expect(caught).toMatchObject({ code: 'CONFIG_VALIDATION_FAILED', context: 'config prod/web does not match its schema' });
    expect((caught as ConfigValidationError).issues.map((i) => i.path).sort()).toEqual(['name', 'server/port']);
  });
});
