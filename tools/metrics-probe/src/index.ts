export { MetricsProbe } from './metrics-probe';
export type { ProbePoint } from './metrics-probe';
