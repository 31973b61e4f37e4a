import { metrics, type Attributes } from '@opentelemetry/api';
import { MeterProvider, MetricReader, type DataPoint, type Histogram } from '@opentelemetry/sdk-metrics';

/** Cumulative, like a Prometheus scrape; collected on demand. */
class CollectingReader extends MetricReader {
  protected override onShutdown(): Promise<void> {
    return Promise.resolve();
  }
  protected override onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
}

/** A counter's, gauge's or histogram's data point. */
export type ProbePoint = DataPoint<number | Histogram>;

/**
 * An in-process `MeterProvider` installed as the global one, for tests of a library's
 * OpenTelemetry instruments: read points back by meter, instrument name and attributes.
 * `install()` in `beforeAll`, `uninstall()` in `afterAll` (it also disables the global API so
 * the next test file starts clean).
 */
export class MetricsProbe {
  private readonly reader = new CollectingReader();
  private readonly provider = new MeterProvider({ readers: [this.reader] });

  /**
   * @param meterName the library's meter (its `METER_NAME`).
   * @param meterVersion when given, every collected scope of that meter must carry it.
   */
  constructor(
    private readonly meterName: string,
    private readonly meterVersion?: string,
  ) {}

  /** Installs the provider globally; throws when another one is installed already. */
  install(): this {
    if (!metrics.setGlobalMeterProvider(this.provider)) throw new Error('a global MeterProvider is installed already');
    return this;
  }

  /** Shuts the provider down and removes the global one. */
  async uninstall(): Promise<void> {
    await this.provider.shutdown();
    metrics.disable();
  }

  /** Data points of instrument `name` whose attributes include every entry of `match`. */
  async points(name: string, match: Attributes = {}): Promise<ProbePoint[]> {
    const { resourceMetrics } = await this.reader.collect();
    const scope = resourceMetrics.scopeMetrics.find((s) => s.scope.name === this.meterName);
    if (scope && this.meterVersion !== undefined && scope.scope.version !== this.meterVersion) {
      throw new Error(`meter ${this.meterName} reports version ${String(scope.scope.version)}, expected ${this.meterVersion}`);
    }
    const all = (scope?.metrics.find((m) => m.descriptor.name === name)?.dataPoints ?? []) as ProbePoint[];
    return all.filter((p) => Object.entries(match).every(([k, v]) => p.attributes[k] === v));
  }

  /** Sum of a counter's points, or count of a histogram's samples, matching `match`. */
  async total(name: string, match: Attributes = {}): Promise<number> {
    return (await this.points(name, match)).reduce((n, p) => n + (typeof p.value === 'number' ? p.value : p.value.count), 0);
  }

  /** The value of a gauge (or counter) point matching `match`; undefined when none. */
  async value(name: string, match: Attributes = {}): Promise<number | undefined> {
    const point = (await this.points(name, match))[0];
    return point === undefined ? undefined : typeof point.value === 'number' ? point.value : point.value.count;
  }
}
