/** Why a generator refused to run. */
export type GeneratorErrorCode =
  | 'INVALID_NAME'
  | 'INVALID_OPTION'
  | 'ALREADY_EXISTS'
  | 'APP_NOT_FOUND'
  | 'PROTO_NOT_FOUND'
  | 'UNSUPPORTED_WORKSPACE'
  | 'UNSUPPORTED_PROTO';

/**
 * A refusal: the generator stopped before writing anything (Nx writes the tree only when the
 * generator returns). `code` is stable; the message says what to do.
 */
export class GeneratorError extends Error {
  override readonly name = 'GeneratorError';

  constructor(
    readonly code: GeneratorErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** True for a {@link GeneratorError}, optionally with the given `code`. */
export function isGeneratorError(error: unknown, code?: GeneratorErrorCode): error is GeneratorError {
  return error instanceof GeneratorError && (code === undefined || error.code === code);
}
