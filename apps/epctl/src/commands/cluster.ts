// `epctl cluster ...`: status, health, members, alarms, maintenance and snapshots, on libs/ops.
import {
  addMember,
  alarms,
  clusterHealth,
  ClusterOps,
  clusterStatus,
  compact,
  defragment,
  disarm,
  findMember,
  members,
  moveLeader,
  promoteMember,
  readSnapshotFile,
  removeMember,
  restoreSnapshot,
  saveSnapshot,
  type EndpointStatus,
  type MemberInfo,
} from '@etcd-patterns/ops';
import { EtcdPatternsError } from '@etcd-patterns/etcd';
import { InvalidArgumentError, Option, type Command } from 'commander';
import type { EpctlContext } from '../context';
import { DeclinedError } from '../declined-error';
import { formatTable, humanBytes } from '../table';

const yes = new Option('-y, --yes', 'do not ask for confirmation (needed in scripts)');

/** Registers `epctl cluster ...` on the root program. */
export function registerClusterCommands(program: Command, ctx: EpctlContext): void {
  const cluster = program.command('cluster').description('cluster operations: status, health, members, alarms, maintenance, snapshots (instead of hand-typed etcdctl)');
  const opened: ClusterOps[] = [];
  const connect = async (cmd: Command): Promise<ClusterOps> => {
    const ops = await ClusterOps.connect(ctx.clientOptions(cmd));
    opened.push(ops);
    return ops;
  };
  const run = (action: (cmd: Command, ...args: never[]) => Promise<void>) =>
    async (...args: unknown[]): Promise<void> => {
      const cmd = args[args.length - 1] as Command;
      try {
        await action(cmd, ...(args.slice(0, -1) as never[]));
      } finally {
        await Promise.all(opened.splice(0).map((o) => o.close()));
      }
    };
  /**
   * Destructive commands ask on a terminal; a script must pass --yes (asking nobody is not
   * consent). A "no" exits 8 with nothing changed.
   */
  const confirmed = async (question: string, flags: { yes?: boolean }): Promise<void> => {
    if (flags.yes) return;
    const answer = await ctx.confirm(question);
    if (answer === undefined) throw new InvalidArgumentError(`${question.replace(/\?$/, '')}: refusing without a terminal to ask; pass --yes`);
    if (!answer) {
      ctx.io.stderr.write('epctl: declined; nothing was changed\n');
      throw new DeclinedError();
    }
  };
  const scope = new Option('--endpoints-only', 'probe only the --endpoints given, not every member of the cluster');

  cluster
    .command('status')
    .description('every endpoint: version, DB size and size in use, leader, raft term/index, errors (exit 6 when one does not answer; the others are still shown)')
    .addOption(scope)
    .action(
      run(async (cmd: Command) => {
        const opts = cmd.opts<{ endpointsOnly?: boolean }>();
        const rows = await clusterStatus(await connect(cmd), { scope: opts.endpointsOnly ? 'endpoints' : 'cluster' });
        ctx.emit(statusTable(rows), rows);
        const failed = rows.filter((r) => !r.ok).length;
        if (failed > 0) throw new EtcdPatternsError('ETCD_UNAVAILABLE', `${failed} of ${rows.length} endpoints did not answer (shown above)`);
      }),
    );

  cluster
    .command('health')
    .description('every endpoint answers a linearizable read and has no alarm (exit 6 when one is unhealthy)')
    .addOption(scope)
    .action(
      run(async (cmd: Command) => {
        const opts = cmd.opts<{ endpointsOnly?: boolean }>();
        const rows = await clusterHealth(await connect(cmd), { scope: opts.endpointsOnly ? 'endpoints' : 'cluster' });
        const table = formatTable(
          ['ENDPOINT', 'NAME', 'HEALTH', 'TOOK', 'ERROR'],
          rows.map((r) => [r.endpoint, r.name ?? '', String(r.healthy), r.tookMs === undefined ? '' : `${r.tookMs}ms`, r.error ? `[${r.error.code}] ${r.error.message}` : '']),
        );
        ctx.emit(table, rows);
        const unhealthy = rows.filter((r) => !r.healthy).length;
        if (unhealthy > 0) throw new EtcdPatternsError('ETCD_UNAVAILABLE', `${unhealthy} of ${rows.length} endpoints are unhealthy (shown above)`);
      }),
    );

  cluster
    .command('members')
    .description('the members: id, status, name, peer and client URLs, learner flag')
    .action(
      run(async (cmd: Command) => {
        const list = await members(await connect(cmd));
        ctx.emit(membersTable(list), list);
      }),
    );

  const alarmCmd = cluster.command('alarms').description('active alarms (NOSPACE, CORRUPT)');
  alarmCmd.action(
    run(async (cmd: Command) => {
      const list = await alarms(await connect(cmd));
      ctx.emit(list.length === 0 ? 'no active alarms\n' : formatTable(['MEMBER', 'ALARM'], list.map((a) => [a.memberId, a.alarm])), list);
    }),
  );
  alarmCmd
    .command('disarm')
    .description('clear every active alarm (free space first: compact, then defrag every member)')
    .action(
      run(async (cmd: Command) => {
        const cleared = await disarm(await connect(cmd));
        ctx.emit(cleared.length === 0 ? 'no active alarms\n' : `disarmed: ${cleared.map((a) => `${a.alarm} on ${a.memberId}`).join(', ')}\n`, cleared);
      }),
    );

  cluster
    .command('defrag')
    .description('defragment members one at a time, followers first (each blocks its requests while it runs); asks first')
    .option('--member <name>', 'only this member (name, hex id or URL)')
    .addOption(yes)
    .action(
      run(async (cmd: Command) => {
        const opts = cmd.opts<{ member?: string; yes?: boolean }>();
        const ops = await connect(cmd);
        const list = await members(ops);
        const targets = opts.member ? [findMember(list, opts.member)] : await followersFirst(ops, list);
        await confirmed(`defragment ${targets.map((m) => m.name || m.id).join(', ')}? Each blocks its reads and writes while it runs`, opts);
        const results = [];
        for (const m of targets) results.push(await defragment(ops, m.id));
        ctx.emit(
          formatTable(['MEMBER', 'ENDPOINT', 'DB SIZE BEFORE', 'DB SIZE AFTER'], results.map((r) => [r.member, r.endpoint, humanBytes(r.dbSizeBefore), humanBytes(r.dbSizeAfter)])),
          results,
        );
      }),
    );

  cluster
    .command('compact')
    .description('discard key versions older than REVISION (default: the current revision); asks first')
    .argument('[revision]', 'revision to compact to (default current)')
    .option('--no-physical', 'return before the backend has applied it')
    .addOption(yes)
    .action(
      run(async (cmd: Command, revision?: string) => {
        const opts = cmd.opts<{ physical: boolean; yes?: boolean }>();
        if (revision !== undefined && !/^\d+$/.test(revision)) throw new InvalidArgumentError('revision must be a positive integer');
        await confirmed(`compact to ${revision ?? 'the current revision'}? Older versions of every key are lost, and watchers behind it must re-list`, opts);
        const result = await compact(await connect(cmd), revision === undefined ? 'current' : Number(revision), { physical: opts.physical });
        ctx.emit(`compacted to revision ${result.revision}\n`, result);
      }),
    );

  cluster
    .command('move-leader')
    .description('hand leadership to another voting member')
    .argument('<member>', 'name, hex id or URL')
    .action(
      run(async (cmd: Command, target: string) => {
        const result = await moveLeader(await connect(cmd), target);
        ctx.emit(`leadership moved from ${result.from} to ${result.to}\n`, result);
      }),
    );

  const member = cluster.command('member').description('add, remove and promote members (add as a learner first, as etcd recommends)');
  member
    .command('add')
    .description('add a member (a learner unless --voter) and print the flags to start it with')
    .argument('<name>', 'the --name the new member will start with')
    .requiredOption('--peer-urls <urls>', 'comma-separated peer URLs of the new member')
    .option('--voter', 'add as a voting member at once (not recommended: a slow new member can stall writes)')
    .action(
      run(async (cmd: Command, name: string) => {
        const opts = cmd.opts<{ peerUrls: string; voter?: boolean }>();
        const added = await addMember(await connect(cmd), { name, peerUrls: opts.peerUrls.split(',').map((u) => u.trim()).filter(Boolean), learner: !opts.voter });
        ctx.emit(
          [
            `added member ${added.member.id} (${added.member.isLearner ? 'learner' : 'voter'}); start it with:`,
            `ETCD_NAME="${name}"`,
            `ETCD_INITIAL_CLUSTER="${added.initialCluster}"`,
            `ETCD_INITIAL_ADVERTISE_PEER_URLS="${added.member.peerUrls.join(',')}"`,
            `ETCD_INITIAL_CLUSTER_STATE="existing"`,
            ...(added.member.isLearner ? [`then, once it has caught up: epctl cluster member promote ${name}`] : []),
            '',
          ].join('\n'),
          added,
        );
      }),
    );
  member
    .command('remove')
    .description('remove a member; asks first')
    .argument('<member>', 'name, hex id or URL')
    .addOption(yes)
    .action(
      run(async (cmd: Command, ref: string) => {
        const opts = cmd.opts<{ yes?: boolean }>();
        const ops = await connect(cmd);
        const target = findMember(await members(ops), ref);
        await confirmed(`remove member ${target.name || target.id} (${target.peerUrls.join(',')}) from the cluster?`, opts);
        const removed = await removeMember(ops, target.id);
        ctx.emit(`removed member ${removed.name || removed.id}\n`, removed);
      }),
    );
  member
    .command('promote')
    .description('promote a learner that has caught up to a voting member')
    .argument('<member>', 'name, hex id or URL')
    .action(
      run(async (cmd: Command, ref: string) => {
        const promoted = await promoteMember(await connect(cmd), ref);
        ctx.emit(`promoted member ${promoted.name || promoted.id} to a voter\n`, promoted);
      }),
    );

  const snapshot = cluster.command('snapshot').description('save, inspect and restore snapshots');
  snapshot
    .command('save')
    .description('stream a snapshot to FILE: SHA-256 checked, bbolt verified, fsynced, renamed into place')
    .argument('<file>', 'destination')
    .option('--from <endpoint>', 'the member to snapshot (default: any)')
    .option('--digest-only', 'check only the SHA-256, not the bbolt structure')
    .action(
      run(async (cmd: Command, file: string) => {
        const opts = cmd.opts<{ from?: string; digestOnly?: boolean }>();
        const ops = await connect(cmd);
        const client = opts.from ? await ops.endpointClient(opts.from) : ops.client;
        const saved = await saveSnapshot(client, file, { verify: opts.digestOnly ? 'digest' : 'full', signal: ctx.io.stop });
        ctx.emit(
          `snapshot saved at ${saved.path} (${humanBytes(saved.bytes)}, sha256 ${saved.sha256.slice(0, 16)}..., ${saved.status ? `revision ${saved.status.revision}, ${saved.status.totalKeys} keys, ` : ''}${saved.tookMs} ms)\n`,
          saved,
        );
      }),
    );
  snapshot
    .command('status')
    .description('hash, revision, total keys and size of a snapshot file, like etcdctl snapshot status (exit 3 when it is invalid)')
    .argument('<file>', 'snapshot file')
    .action(
      run(async (_cmd: Command, file: string) => {
        const s = await readSnapshotFile(file, { signal: ctx.io.stop });
        ctx.emit(
          formatTable(['HASH', 'REVISION', 'TOTAL KEYS', 'TOTAL SIZE', 'SHA256'], [[s.hash.toString(16).padStart(8, '0'), String(s.revision), String(s.totalKeys), humanBytes(s.totalSize), s.sha256Verified ? 'verified' : 'absent']]),
          s,
        );
      }),
    );
  snapshot
    .command('restore')
    .description("write a new member data directory from FILE with etcd's own tool (etcdutl, or etcdctl on 3.4); asks first")
    .argument('<file>', 'snapshot file')
    .requiredOption('--data-dir <dir>', 'new data directory (must not exist or be empty)')
    .requiredOption('--name <name>', 'this member\'s name')
    .requiredOption('--initial-cluster <list>', 'name=peerURL,... of every member of the new cluster')
    .requiredOption('--initial-advertise-peer-urls <urls>', "this member's peer URLs")
    .option('--initial-cluster-token <token>', 'the same for every member of the new cluster', 'etcd-cluster')
    .option('--skip-hash-check', 'allow a file without the SHA-256 trailer (a copied member/snap/db)')
    .addOption(yes)
    .action(
      run(async (cmd: Command, file: string) => {
        const opts = cmd.opts<{ dataDir: string; name: string; initialCluster: string; initialAdvertisePeerUrls: string; initialClusterToken: string; skipHashCheck?: boolean; yes?: boolean }>();
        await confirmed(`restore ${file} into ${opts.dataDir} as member ${opts.name} of a new cluster?`, opts);
        const restored = await restoreSnapshot({
          file,
          dataDir: opts.dataDir,
          name: opts.name,
          initialCluster: opts.initialCluster,
          initialAdvertisePeerUrls: opts.initialAdvertisePeerUrls.split(',').map((u) => u.trim()),
          initialClusterToken: opts.initialClusterToken,
          skipHashCheck: opts.skipHashCheck,
          signal: ctx.io.stop,
        });
        ctx.emit(`restored revision ${restored.snapshot.revision} (${restored.snapshot.totalKeys} keys) into ${restored.dataDir} with ${restored.tool.kind}\n`, {
          dataDir: restored.dataDir,
          tool: restored.tool,
          snapshot: restored.snapshot,
        });
      }),
    );
}

function statusTable(rows: readonly EndpointStatus[]): string {
  return formatTable(
    ['ENDPOINT', 'NAME', 'ID', 'VERSION', 'DB SIZE', 'IN USE', 'IS LEADER', 'IS LEARNER', 'RAFT TERM', 'RAFT INDEX', 'APPLIED INDEX', 'ERRORS'],
    rows.map((r) =>
      r.ok
        ? [r.endpoint, r.name ?? '', r.memberId, r.version, humanBytes(r.dbSize), humanBytes(r.dbSizeInUse), String(r.isLeader), String(r.isLearner), String(r.raftTerm), String(r.raftIndex), String(r.raftAppliedIndex), r.errors.join('; ')]
        : [r.endpoint, r.name ?? '', '', '', '', '', '', '', '', '', '', `unreachable: [${r.error.code}] ${r.error.message}`],
    ),
  );
}

function membersTable(list: readonly MemberInfo[]): string {
  return formatTable(
    ['ID', 'STATUS', 'NAME', 'PEER ADDRS', 'CLIENT ADDRS', 'IS LEARNER'],
    list.map((m) => [m.id, m.status, m.name, m.peerUrls.join(','), m.clientUrls.join(','), String(m.isLearner)]),
  );
}

/** Followers first, the leader last, so the cluster keeps its leader for as long as possible. */
async function followersFirst(ops: ClusterOps, list: readonly MemberInfo[]): Promise<MemberInfo[]> {
  const status = await clusterStatus(ops);
  const leaderId = status.find((s) => s.ok && s.isLeader);
  const id = leaderId?.ok ? leaderId.memberId : undefined;
  return [...list.filter((m) => m.id !== id), ...list.filter((m) => m.id === id)];
}
