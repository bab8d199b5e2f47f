/**
 * Audited reads on Redis against the cheapest honest alternative on the same server:
 * - baseline: one ioredis MULTI of GET (the stored ciphertext) + XADD (an audit entry of the same size);
 * - audited `vault.getSecret` on the Redis adapter (token use off, trusted caller, warm data-key cache),
 *   and the adapter's `readSecret` alone;
 * - the floor of any one-script read: the read's commands in a script without logic;
 * - round trips per read, counted twice: by wrapping the client, and by MONITOR (top-level commands
 *   from the adapter's connection, apart from the commands its scripts run inside Redis).
 * Skips with one line if Redis is unreachable.
 */
import { randomBytes } from 'node:crypto';
import {
  deleteKeysUnder,
  type RedisClientLike,
  redisAdapter,
  SAFE_CLIENT_OPTIONS,
} from '@agentvault/adapter-redis';
import { createVault } from '@agentvault/core';
import { localKeyring } from '@agentvault/kms-local';
import { Redis } from 'ioredis';
import { check, type Measurement, measure, printChecks, printMeasurements } from './lib';

const URL = process.env.AGENTVAULT_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const VALUE = 'x'.repeat(64);
const DURATION = { durationMs: 1500, warmupMs: 300 };
const ROUNDS = 3;

async function reachable(): Promise<boolean> {
  const probe = new Redis(URL, { ...SAFE_CLIENT_OPTIONS, lazyConnect: true, retryStrategy: () => null });
  probe.on('error', () => undefined);
  try {
    await probe.connect();
    return (await probe.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    probe.disconnect();
  }
}

function counting(client: Redis): { client: RedisClientLike; calls: () => number } {
  let calls = 0;
  const wrapped: RedisClientLike = {
    options: client.options,
    call: (command, ...args) => {
      calls++;
      return client.call(command, ...args);
    },
    quit: () => client.quit(),
  };
  return { client: wrapped, calls: () => calls };
}

/** Top-level commands the server received from `addr` (and commands run by scripts) while `work` ran. */
async function monitored(
  addr: string,
  work: () => Promise<void>,
): Promise<{ fromClient: number; inScripts: number }> {
  const watcher = new Redis(URL, SAFE_CLIENT_OPTIONS);
  const monitor = await watcher.monitor();
  let fromClient = 0;
  let inScripts = 0;
  monitor.on('monitor', (_time: string, _args: string[], source: string) => {
    if (source === addr) fromClient++;
    else if (source === 'lua') inScripts++;
  });
  await work();
  await new Promise((resolve) => setTimeout(resolve, 200));
  monitor.disconnect();
  watcher.disconnect();
  return { fromClient, inScripts };
}

export async function run(): Promise<void> {
  if (!(await reachable())) {
    console.log(`SKIPPED redis benchmark: Redis at ${URL} is unreachable (set AGENTVAULT_TEST_REDIS_URL)`);
    return;
  }
  const prefix = `avbench:${randomBytes(4).toString('hex')}:`;
  const admin = new Redis(URL, SAFE_CLIENT_OPTIONS);
  const clients: Redis[] = [];
  const newClient = () => {
    const client = new Redis(URL, SAFE_CLIENT_OPTIONS);
    clients.push(client);
    return client;
  };
  try {
    const keys = localKeyring({ keys: { bench: randomBytes(32) } });
    const logger = { warn() {}, error() {} };
    const vaultOn = (storage: ReturnType<typeof redisAdapter>) =>
      createVault({ storage, keys, logger, defaultTenant: 'bench' });

    // Baseline: the stored ciphertext's size and an audit entry of the size the adapter writes.
    const raw = newClient();
    const storage = redisAdapter({ client: newClient() }, { prefix });
    const vault = vaultOn(storage);
    await vault.setSecret('bench/value', VALUE);
    const base = storage.base('bench');
    const ciphertext = (await admin.hget(`${base}v:bench/value!0000000001`, 'ciphertext')) ?? '';
    const entry = Object.values(await admin.hgetall(`${base}ev`))[0] ?? '';
    await raw.set(`${prefix}raw:value`, ciphertext);
    const baseline = () =>
      raw
        .multi()
        .get(`${prefix}raw:value`)
        .xadd(`${prefix}raw:audit`, 'MAXLEN', '~', '200000', '*', 'event', entry)
        .exec();
    const read = () => vault.getSecret('bench/value');
    await read();

    // The adapter's share alone: the same audited read without the vault around it, in a tenant of
    // its own: its events never reach the vault's trail, whose sealer would otherwise have to seal
    // them all, as if every vault read had appended two events.
    await vault.setSecret('bench/value', VALUE, { tenant: 'direct' });
    const direct = redisAdapter({ client: newClient() }, { prefix });
    let n = 0;
    const readDirect = () =>
      direct.readSecret({
        tenant: 'direct',
        path: 'bench/value',
        version: null,
        now: Date.now(),
        maxTier: null,
        token: null,
        event: {
          id: `evt_bench${n++}_${prefix}`,
          tenant: 'direct',
          type: 'secret.read' as const,
          path: 'bench/value',
          actor: 'app:bench',
          actorDescription: null,
          ip: null,
          userAgent: null,
          timestamp: Date.now(),
          details: {},
        },
      });

    // The floor of any one-script audited read: the commands this one runs inside Redis (duplicate
    // check, the two records, the append and its two indexes, the touch) with no logic, replying only
    // the seq. No script that reads and records a read this way can be faster from this client.
    const floorSha = (await raw.script(
      'LOAD',
      `local b = KEYS[1]
      redis.call('HEXISTS', b .. 'ev', ARGV[1])
      redis.call('HGETALL', b .. 's:bench/value')
      redis.call('HGETALL', b .. 'v:bench/value!0000000001')
      local seq = redis.call('INCR', b .. 'n')
      redis.call('HSET', b .. 'ev', ARGV[1], ARGV[2])
      redis.call('ZADD', b .. 'e:seq', seq, ARGV[1])
      redis.call('ZADD', b .. 'e:time', ARGV[3], ARGV[1])
      redis.call('HSET', b .. 's:bench/value', 'accessedAt', ARGV[3])
      return seq`,
    )) as string;
    const floor = () => raw.evalsha(floorSha, 1, storage.base('direct'), `evt_floor${n++}_${prefix}`, entry, Date.now());

    // Rounds of back-to-back measurements, so each ratio compares like with like on a machine whose
    // load drifts; the checks use the median round.
    const rows: Record<string, Measurement> = {};
    const ratios: Record<string, number[]> = { p50on: [], p50adapter: [], p50floor: [], opsOn: [], opsAdapter: [] };
    for (const concurrency of [1, 32]) {
      for (let round = 1; round <= ROUNDS; round++) {
        const options = { ...DURATION, concurrency };
        const rawRow = await measure(`raw MULTI GET+XADD, c=${concurrency} #${round}`, baseline, options);
        const onRow = await measure(`audited getSecret, c=${concurrency} #${round}`, read, options);
        const adapterRow = await measure(`adapter readSecret alone, c=${concurrency} #${round}`, readDirect, options);
        Object.assign(rows, { [rawRow.name]: rawRow, [onRow.name]: onRow, [adapterRow.name]: adapterRow });
        if (concurrency === 1) {
          const floorRow = await measure(`the read's commands alone in a script, c=1 #${round}`, floor, options);
          rows[floorRow.name] = floorRow;
          ratios.p50on!.push(onRow.p50Ms! / rawRow.p50Ms!);
          ratios.p50adapter!.push(adapterRow.p50Ms! / rawRow.p50Ms!);
          ratios.p50floor!.push(floorRow.p50Ms! / rawRow.p50Ms!);
        } else {
          ratios.opsOn!.push(onRow.opsPerSec / rawRow.opsPerSec);
          ratios.opsAdapter!.push(adapterRow.opsPerSec / rawRow.opsPerSec);
        }
      }
    }
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
    printMeasurements(
      'Redis 7.0 on 127.0.0.1, one process, 2 cores shared with other engineers (absolute figures are noisy; ratios are same-run)',
      Object.values(rows),
    );
    // Cost per operation, less sensitive to a busy machine than latency: this process's CPU time and
    // the server's time in the commands involved (INFO commandstats; other clients' calls of the same
    // commands are included, so it is an upper bound on a shared server).
    const serverUsec = async (commands: string[]) => {
      const info = (await admin.info('commandstats')) as string;
      let usec = 0;
      for (const m of info.matchAll(/cmdstat_(\w+):calls=\d+,usec=(\d+)/g))
        if (commands.includes(m[1]!)) usec += Number(m[2]);
      return usec;
    };
    const costOf = async (op: () => Promise<unknown>, commands: string[]) => {
      const n = 4000;
      const [server, cpu] = [await serverUsec(commands), process.cpuUsage()];
      await Promise.all(
        Array.from({ length: 8 }, async () => {
          for (let i = 0; i < n / 8; i++) await op();
        }),
      );
      const used = process.cpuUsage(cpu);
      return { client: (used.user + used.system) / n, server: ((await serverUsec(commands)) - server) / n };
    };
    const costs = {
      raw: await costOf(baseline, ['multi', 'get', 'xadd', 'exec']),
      adapter: await costOf(readDirect, ['evalsha']),
      vault: await costOf(read, ['evalsha']),
    };
    console.log('\nCost per operation (8 workers x 500 ops each; µs)');
    console.table(
      Object.entries({
        'raw MULTI GET+XADD': costs.raw,
        'adapter readSecret alone': costs.adapter,
        'audited getSecret': costs.vault,
      }).map(([operation, c]) => ({
        operation,
        'client CPU µs': c.client.toFixed(1),
        'server µs': c.server.toFixed(1),
      })),
    );

    // Round trips per read.
    const counted = counting(newClient());
    // Sealing (every 1000 events by default) adds its own calls; count the reads alone.
    const countedVault = createVault({
      storage: redisAdapter({ client: counted.client }, { prefix }),
      keys,
      logger,
      defaultTenant: 'bench',
      audit: { sealEvery: 1_000_000 },
    });
    await countedVault.getSecret('bench/value');
    const before = counted.calls();
    for (let i = 0; i < 1000; i++) await countedVault.getSecret('bench/value');
    const callsPerRead = (counted.calls() - before) / 1000;

    const monitoredClient = newClient();
    const monitoredVault = vaultOn(redisAdapter({ client: monitoredClient }, { prefix }));
    await monitoredVault.getSecret('bench/value');
    const addr = /addr=(\S+)/.exec((await monitoredClient.call('CLIENT', 'INFO')) as string)![1]!;
    const seen = await monitored(addr, async () => {
      for (let i = 0; i < 200; i++) await monitoredVault.getSecret('bench/value');
    });
    console.log(
      `\nMONITOR over 200 audited reads: ${seen.fromClient} commands from the adapter's connection, `
      + `${seen.inScripts} run inside its scripts (${(seen.inScripts / 200).toFixed(1)} per read).`,
    );

    printChecks('Targets (audited getSecret on Redis vs raw MULTI GET+XADD, same run)', [
      check('round trips per audited read (client calls)', callsPerRead, '= 1', (v) => v === 1),
      check('round trips per audited read (MONITOR)', seen.fromClient / 200, '= 1', (v) => v === 1),
      check('p50 audited / p50 raw, c=1 (median of rounds)', median(ratios.p50on!), '<= 1.3', (v) => v <= 1.3),
      check('ops/s audited / ops/s raw, c=32 (median of rounds)', median(ratios.opsOn!), '>= 0.8', (v) => v >= 0.8),
      check('p50 adapter readSecret alone / raw, c=1 (median)', median(ratios.p50adapter!), 'info', () => true),
      check('ops/s adapter readSecret alone / raw, c=32 (median)', median(ratios.opsAdapter!), 'info', () => true),
      check('p50 the read\'s commands alone in a script / raw, c=1 (median)', median(ratios.p50floor!), 'info', () => true),
    ]);
  } finally {
    await deleteKeysUnder(admin, prefix);
    await Promise.all([admin, ...clients].map((c) => c.quit().catch(() => undefined)));
  }
}
