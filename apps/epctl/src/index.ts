// epctl as a library: run it in a process of your own (tests, other tools) with your streams.
export { runEpctl } from './program';
export type { EpctlIo, EpctlContext, EpctlCommandGroup, EpctlGlobalOptions } from './context';
export { EXIT, exitCodeOf } from './exit-codes';
