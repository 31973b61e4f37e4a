/**
 * Metadata stored with an instance. `version`, `zone` and `weight` are understood by the
 * balancers in `@etcd-patterns/lb-resolver`; any other JSON fields are kept as given.
 */
export interface InstanceMetadata {
  /** Release of the service, e.g. `1.4.2`. */
  readonly version?: string;
  /** Failure domain, e.g. `eu-west-1a`. Used for zone affinity. */
  readonly zone?: string;
  /** Relative share of traffic for weighted balancing; positive integer, default 1. */
  readonly weight?: number;
  readonly [field: string]: unknown;
}

/** One live instance of a service as stored in etcd. */
export interface ServiceInstance {
  /** Service name (`greeter`). */
  readonly service: string;
  /** `host:port` the instance serves on. */
  readonly address: string;
  /** Metadata as stored; `{}` when the stored metadata is not a JSON object. */
  readonly metadata: InstanceMetadata;
  /** The etcd key. */
  readonly key: string;
  /** Revision at which the key was created: when this instance registered. */
  readonly createRevision: number;
  /** Revision of the last change of the key. */
  readonly modRevision: number;
  /** Lease id (decimal string) the key is attached to; `'0'` for none. */
  readonly lease: string;
}
