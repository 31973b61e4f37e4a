import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createSecureContext, rootCertificates } from 'node:tls';
import { experimental, type ChannelCredentials } from '@grpc/grpc-js';
import { EtcdPatternsError, EtcdTlsError } from '../errors';

type CaListener = experimental.CaCertificateUpdateListener;
type IdentityListener = experimental.IdentityCertificateUpdateListener;
type CaUpdate = experimental.CaCertificateUpdate;
type IdentityUpdate = experimental.IdentityCertificateUpdate;

/** The TLS files of a client; at least one of `caFile` and `certFile`/`keyFile`. */
export interface TlsFiles {
  readonly caFile?: string;
  readonly certFile?: string;
  readonly keyFile?: string;
}

/** Channel credentials that follow the files on disk, and the way to stop following them. */
export interface ReloadingTlsCredentials {
  readonly channel: ChannelCredentials;
  /** Stops re-reading the files. Idempotent. */
  close(): void;
}

/**
 * Credentials for grpc-js built with `experimental.createCertificateProviderChannelCredentials`
 * over {@link TlsFileProvider}: each new connection (a reconnect after a member restart or a
 * dropped link) uses the certificate, key and CA read most recently, so a certificate replaced
 * on disk is picked up without restarting the process. Connections already open keep the
 * identity they were made with.
 *
 * Without `caFile` the CA bundle is Node's built-in roots plus `NODE_EXTRA_CA_CERTS`.
 *
 * @throws {EtcdPatternsError} `ETCD_INVALID_CONFIG` when a file cannot be read or is not usable
 *   PEM (or the key does not match the certificate); {@link EtcdTlsError} `certificate-expired`
 *   when the client certificate is already expired or not yet valid.
 */
export function createReloadingTlsCredentials(files: TlsFiles, reloadIntervalMs: number): ReloadingTlsCredentials {
  const provider = new TlsFileProvider(files, reloadIntervalMs);
  const channel = experimental.createCertificateProviderChannelCredentials(provider, files.certFile ? provider : null);
  return { channel, close: () => provider.close() };
}

/**
 * A grpc-js `CertificateProvider` over PEM files. Unlike grpc-js's
 * `FileWatcherCertificateProvider`, it reads the files once up front (so bad files fail at
 * client creation, not at the first connect), its timer is `unref()`ed and stops on
 * {@link close} (etcd3 never closes the channels it opens to fetch auth tokens, so a timer tied
 * to channel lifetimes would keep the process alive), and a certificate is only taken together
 * with a key that matches it: a rotation caught half-written keeps the previous pair until the
 * next read.
 */
class TlsFileProvider implements experimental.CertificateProvider {
  private ca: CaUpdate;
  private identity: IdentityUpdate | null;
  private readonly caListeners = new Set<CaListener>();
  private readonly identityListeners = new Set<IdentityListener>();
  private readonly timer: NodeJS.Timeout;
  private reading = false;
  private closed = false;

  constructor(
    private readonly files: TlsFiles,
    reloadIntervalMs: number,
  ) {
    this.ca = { caCertificate: readCa(files.caFile === undefined ? undefined : readSync(files.caFile, 'CA')) };
    this.identity = null;
    if (files.certFile && files.keyFile) {
      const identity = { certificate: readSync(files.certFile, 'certificate'), privateKey: readSync(files.keyFile, 'key') };
      const problem = checkIdentity(identity);
      if (problem) throw new EtcdPatternsError('ETCD_INVALID_CONFIG', `${files.certFile} / ${files.keyFile}: ${problem}`);
      checkValidity(identity.certificate, files.certFile);
      this.identity = identity;
    }
    try {
      createSecureContext({ ca: this.ca.caCertificate });
    } catch (error) {
      throw new EtcdPatternsError('ETCD_INVALID_CONFIG', `the CA file ${files.caFile ?? '(system roots)'} is not a usable PEM bundle`, { cause: error });
    }
    this.timer = setInterval(() => void this.reload(), reloadIntervalMs);
    this.timer.unref();
  }

  addCaCertificateListener(listener: CaListener): void {
    this.caListeners.add(listener);
    process.nextTick(() => this.caListeners.has(listener) && listener(this.ca));
  }

  removeCaCertificateListener(listener: CaListener): void {
    this.caListeners.delete(listener);
  }

  addIdentityCertificateListener(listener: IdentityListener): void {
    this.identityListeners.add(listener);
    process.nextTick(() => this.identityListeners.has(listener) && listener(this.identity));
  }

  removeIdentityCertificateListener(listener: IdentityListener): void {
    this.identityListeners.delete(listener);
  }

  close(): void {
    this.closed = true;
    clearInterval(this.timer);
  }

  private async reload(): Promise<void> {
    if (this.reading || this.closed) return;
    this.reading = true;
    try {
      const { caFile, certFile, keyFile } = this.files;
      if (caFile) {
        const ca = await readFile(caFile).catch(() => undefined);
        if (ca && !ca.equals(this.ca.caCertificate) && usableCa(ca)) {
          this.ca = { caCertificate: ca };
          for (const listener of this.caListeners) listener(this.ca);
        }
      }
      if (certFile && keyFile) {
        const [certificate, privateKey] = await Promise.all([readFile(certFile).catch(() => undefined), readFile(keyFile).catch(() => undefined)]);
        const current = this.identity;
        if (!certificate || !privateKey || (current && certificate.equals(current.certificate) && privateKey.equals(current.privateKey))) return;
        // A pair caught mid-rotation (new certificate, old key) is skipped until both match.
        if (checkIdentity({ certificate, privateKey })) return;
        this.identity = { certificate, privateKey };
        for (const listener of this.identityListeners) listener(this.identity);
      }
    } finally {
      this.reading = false;
    }
  }
}

function readSync(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new EtcdPatternsError('ETCD_INVALID_CONFIG', `cannot read the ${what} file ${path}`, { cause: error });
  }
}

// Without a CA file: Node's bundled roots, plus NODE_EXTRA_CA_CERTS as Node itself would add.
function readCa(ca: Buffer | undefined): Buffer {
  if (ca) return ca;
  const extraFile = process.env['NODE_EXTRA_CA_CERTS'];
  let extra = '';
  if (extraFile) {
    try {
      extra = readFileSync(extraFile, 'utf8');
    } catch {
      // Node warns about an unreadable NODE_EXTRA_CA_CERTS at start-up already.
    }
  }
  return Buffer.from([...rootCertificates, extra].join('\n'));
}

function usableCa(ca: Buffer): boolean {
  try {
    createSecureContext({ ca });
    return true;
  } catch {
    return false;
  }
}

/** Why a certificate and key cannot be used together, or undefined when they can. */
function checkIdentity(identity: IdentityUpdate): string | undefined {
  try {
    createSecureContext({ cert: identity.certificate, key: identity.privateKey });
    return undefined;
  } catch (error) {
    return `the certificate and key cannot be used (${error instanceof Error ? error.message : String(error)})`;
  }
}

function checkValidity(pem: Buffer, file: string): void {
  const cert = new X509Certificate(pem);
  const now = Date.now();
  const from = new Date(cert.validFrom);
  const to = new Date(cert.validTo);
  if (now > to.getTime()) {
    throw new EtcdTlsError('certificate-expired', `client certificate expired on ${to.toISOString()} (${file}, ${cert.subject.replace(/\n/g, ', ')})`);
  }
  if (now < from.getTime()) {
    throw new EtcdTlsError('certificate-expired', `client certificate is not valid before ${from.toISOString()} (${file})`);
  }
}
