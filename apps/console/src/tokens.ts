/** Injection token of the parsed {@link ConsoleEnv}. */
export const CONSOLE_ENV = Symbol('CONSOLE_ENV');
/** Injection token of the pino logger. */
export const LOGGER = Symbol('LOGGER');
