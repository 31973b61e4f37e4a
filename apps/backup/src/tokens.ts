/** Injection token of the parsed {@link BackupEnv}. */
export const BACKUP_ENV = Symbol('BACKUP_ENV');
/** Injection token of the pino logger. */
export const LOGGER = Symbol('LOGGER');
