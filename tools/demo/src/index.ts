export { AppProcess, appCommand, REPO_ROOT } from './app-process';
export type { AppName, StartAppOptions } from './app-process';
export { DEFAULT_GREETER_CONFIG } from './default-config';
