/** Injection token of the parsed {@link GatewayEnv}. */
export const GATEWAY_ENV = Symbol('GATEWAY_ENV');
/** Injection token of the pino logger. */
export const LOGGER = Symbol('LOGGER');
