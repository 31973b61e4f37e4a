/** Injection token of the parsed {@link WorkerEnv}. */
export const WORKER_ENV = Symbol('WORKER_ENV');
/** Injection token of the pino logger. */
export const LOGGER = Symbol('LOGGER');
