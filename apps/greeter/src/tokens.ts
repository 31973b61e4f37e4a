/** Injection token of the parsed {@link GreeterEnv}. */
export const GREETER_ENV = Symbol('GREETER_ENV');
/** Injection token of the pino logger. */
export const LOGGER = Symbol('LOGGER');
