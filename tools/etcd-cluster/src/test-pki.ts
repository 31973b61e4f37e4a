import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A certificate and its private key on disk (PEM). */
export interface CertFiles {
  readonly certFile: string;
  readonly keyFile: string;
}

/** Options for {@link TestPki.clientCert}. */
export interface ClientCertOptions {
  /** Issue a certificate that expired a year ago (valid for one day in the past). */
  readonly expired?: boolean;
  /** Sign with the second CA (`'other'`), which the cluster does not trust. Default the cluster's CA. */
  readonly ca?: 'main' | 'other';
  /** File name stem; default derived from the name and options. Reusing a stem overwrites. */
  readonly fileStem?: string;
  /**
   * Leave the CN out (subject `O=<name>`): under `--client-cert-auth` the certificate passes the
   * handshake but names no etcd user: etcd refuses requests without a password token (empty user name).
   */
  readonly noCommonName?: boolean;
}

/** Options for {@link TestPki.serverCert}. */
export interface ServerCertOptions {
  /** Subject alternative names; default `IP:127.0.0.1, DNS:localhost`. */
  readonly subjectAltNames?: readonly string[];
  /** Sign with the second CA. */
  readonly ca?: 'main' | 'other';
  /** Issue a certificate that expired a year ago (file stem `server-NAME-expired`). */
  readonly expired?: boolean;
}

/** Error from the `openssl` CLI, with its stderr. */
export class OpensslError extends Error {
  constructor(
    readonly args: readonly string[],
    readonly stderr: string,
    options?: { cause?: unknown },
  ) {
    super(`openssl ${args.join(' ')} failed: ${stderr.trim()}`, options);
    this.name = 'OpensslError';
  }
}

const DEFAULT_SANS = ['IP:127.0.0.1', 'DNS:localhost'];

/**
 * Test-time TLS material made with the `openssl` CLI in a directory the caller owns (a
 * cluster's temp dir): a CA the cluster trusts (`caFile`), a second CA it does not
 * (`otherCaFile`), and leaf certificates signed by either. Keys are EC P-256 (fast to make).
 * Nothing is ever written outside `dir`; commit none of it.
 *
 * Leaf certificates are issued with `openssl ca` and explicit start and end dates, so an
 * expired certificate is as easy as a valid one (OpenSSL 3.0's `x509 -req` cannot back-date).
 */
export class TestPki {
  private constructor(
    /** Directory holding every file. */
    readonly dir: string,
  ) {}

  /** PEM bundle of the CA the cluster trusts. */
  get caFile(): string {
    return join(this.dir, 'ca.pem');
  }

  /** PEM bundle of a second CA that nothing trusts. */
  get otherCaFile(): string {
    return join(this.dir, 'other-ca.pem');
  }

  /**
   * Opens a PKI that {@link create} made in `dir` earlier (in this or another process), to
   * issue more certificates from the same CAs. Not safe for two processes issuing at once.
   * @throws {OpensslError} when `dir` holds no such PKI.
   */
  static open(dir: string): TestPki {
    const pki = new TestPki(dir);
    for (const file of [pki.caFile, join(pki.caDir('main'), 'ca-key.pem')]) {
      if (!existsSync(file)) throw new OpensslError([], `no test PKI in ${dir}: ${file} is missing`);
    }
    return pki;
  }

  /**
   * Creates both CAs in `dir` (made if missing).
   * @throws {OpensslError} when `openssl` fails (or is missing: `cause` is the spawn error).
   */
  static async create(dir: string): Promise<TestPki> {
    mkdirSync(dir, { recursive: true });
    const pki = new TestPki(dir);
    for (const ca of ['main', 'other'] as const) await pki.makeCa(ca);
    return pki;
  }

  /**
   * A server (and client) certificate for an etcd member, signed by the main CA. The default
   * SANs are `IP:127.0.0.1, DNS:localhost`; pass others for a "wrong name" certificate, and
   * `expired: true` for one that expired a year ago.
   */
  async serverCert(name: string, options: ServerCertOptions = {}): Promise<CertFiles> {
    const sans = options.subjectAltNames ?? DEFAULT_SANS;
    return this.issue(
      `server-${name}${options.expired ? '-expired' : ''}`,
      `/CN=${name}`,
      options.ca ?? 'main',
      { extendedKeyUsage: 'serverAuth, clientAuth', subjectAltName: sans.join(', ') },
      options.expired ?? false,
    );
  }

  /** A peer certificate (server and client use, loopback SANs) for member `name`. */
  async peerCert(name: string): Promise<CertFiles> {
    return this.issue(`peer-${name}`, `/CN=${name}`, 'main', {
      extendedKeyUsage: 'serverAuth, clientAuth',
      subjectAltName: DEFAULT_SANS.join(', '),
    });
  }

  /**
   * A client certificate whose CN is `name`: with `--client-cert-auth` and auth enabled, etcd
   * takes the CN as the user name. Signed by the main CA unless `ca: 'other'`; already expired
   * with `expired: true`.
   */
  async clientCert(name: string, options: ClientCertOptions = {}): Promise<CertFiles> {
    const ca = options.ca ?? 'main';
    const stem = options.fileStem ?? `client-${name}${options.expired ? '-expired' : ''}${ca === 'other' ? '-other' : ''}`;
    const subject = options.noCommonName ? `/O=${name}` : `/CN=${name}`;
    return this.issue(stem, subject, ca, { extendedKeyUsage: 'clientAuth' }, options.expired ?? false);
  }

  private caDir(ca: 'main' | 'other'): string {
    return join(this.dir, `${ca}-ca.d`);
  }

  private async makeCa(ca: 'main' | 'other'): Promise<void> {
    const dir = this.caDir(ca);
    mkdirSync(join(dir, 'newcerts'), { recursive: true });
    writeFileSync(join(dir, 'index.txt'), '');
    writeFileSync(join(dir, 'serial'), '01\n');
    writeFileSync(
      join(dir, 'openssl.cnf'),
      [
        '[ ca ]',
        'default_ca = CA_default',
        '[ CA_default ]',
        `database = ${join(dir, 'index.txt')}`,
        `new_certs_dir = ${join(dir, 'newcerts')}`,
        `serial = ${join(dir, 'serial')}`,
        'default_md = sha256',
        'policy = policy_any',
        'unique_subject = no',
        'email_in_dn = no',
        '[ policy_any ]',
        'commonName = optional',
        'organizationName = optional',
        '',
      ].join('\n'),
    );
    const certFile = ca === 'main' ? this.caFile : this.otherCaFile;
    await openssl([
      'req', '-x509', '-new', '-nodes',
      '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1',
      '-keyout', join(dir, 'ca-key.pem'),
      '-out', certFile,
      '-days', '30',
      '-subj', `/CN=etcd-patterns test ${ca} CA ${process.pid}`,
      '-addext', 'basicConstraints=critical,CA:TRUE',
      '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
    ]);
  }

  private async issue(
    stem: string,
    subject: string,
    ca: 'main' | 'other',
    extensions: { extendedKeyUsage: string; subjectAltName?: string },
    expired = false,
  ): Promise<CertFiles> {
    const keyFile = join(this.dir, `${stem}-key.pem`);
    const certFile = join(this.dir, `${stem}.pem`);
    const csrFile = join(this.dir, `${stem}.csr`);
    const extFile = join(this.dir, `${stem}.ext`);
    writeFileSync(
      extFile,
      [
        '[ leaf ]',
        'basicConstraints = critical, CA:FALSE',
        'keyUsage = critical, digitalSignature, keyEncipherment',
        `extendedKeyUsage = ${extensions.extendedKeyUsage}`,
        ...(extensions.subjectAltName ? [`subjectAltName = ${extensions.subjectAltName}`] : []),
        '',
      ].join('\n'),
    );
    await openssl([
      'req', '-new', '-nodes',
      '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1',
      '-keyout', keyFile, '-out', csrFile, '-subj', subject,
    ]);
    const dir = this.caDir(ca);
    const now = Date.now();
    const day = 24 * 3600 * 1000;
    // Valid from an hour ago (clock skew) for 30 days; an expired one ended a year ago.
    const start = expired ? now - 366 * day : now - 3600 * 1000;
    const end = expired ? now - 365 * day : now + 30 * day;
    await openssl([
      'ca', '-batch', '-notext',
      '-config', join(dir, 'openssl.cnf'),
      '-cert', ca === 'main' ? this.caFile : this.otherCaFile,
      '-keyfile', join(dir, 'ca-key.pem'),
      '-in', csrFile, '-out', certFile,
      '-startdate', asn1Time(start), '-enddate', asn1Time(end),
      '-extfile', extFile, '-extensions', 'leaf',
      // A fresh subject line per certificate, so re-issuing a name never collides.
      '-subj', subject,
    ]);
    if (!existsSync(certFile)) throw new OpensslError(['ca'], `no certificate written for ${stem}`);
    return { certFile, keyFile };
  }
}

/** `YYYYMMDDHHMMSSZ`, the form `openssl ca -startdate/-enddate` takes. */
function asn1Time(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:T]/g, '').replace(/\.\d+Z$/, 'Z');
}

async function openssl(args: readonly string[]): Promise<void> {
  try {
    await run('openssl', [...args], { timeout: 30_000 });
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? String(error);
    throw new OpensslError(args, stderr, { cause: error });
  }
}
