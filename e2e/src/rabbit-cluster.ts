import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync, chmodSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { devBrokerDefinitions, devBrokerUsersLogIn, importDefinitions, runWithInput } from '@xauth/shared/broker-users';

const run = promisify(execFile);
const BIN = '/usr/lib/rabbitmq/bin';

export interface RabbitNode {
  /** Erlang node name, e.g. `xauth-a-1f2e@localhost`. */
  name: string;
  /** AMQP port on 127.0.0.1. */
  port: number;
  url: string;
}

/** Every cluster this process started and has not cleaned up: killed on exit, even after a failed test. */
const live = new Set<RabbitCluster>();
const killAll = () => {
  for (const c of live) c.killNow();
};
process.once('exit', killAll);
// A signal ends the process without 'exit': kill the nodes, then die of the signal as before.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(signal, () => {
    killAll();
    process.kill(process.pid, signal);
  });
}

/**
 * A RabbitMQ cluster of real `rabbitmq-server` nodes on this machine, for tests: each node with its
 * own name, AMQP and distribution ports and data/log directories under one temp dir, joined with
 * `rabbitmqctl join_cluster`. The nodes and their CLI calls run with HOME in that dir, holding a cookie
 * of their own: the machine's broker (rabbit@localhost, its cookie, its config in /etc/rabbitmq) is
 * never read or touched. The nodes register with the machine's epmd, which already runs for it.
 * `destroy` stops every node and removes the dir.
 */
export class RabbitCluster {
  private readonly processes = new Map<string, ChildProcess>();

  private constructor(
    readonly dir: string,
    readonly nodes: RabbitNode[],
    private readonly distPorts: Map<string, number>,
  ) {}

  /** The nodes' URLs with the administrator's credentials, comma-separated: for the tests' own clients. */
  get url(): string {
    return this.nodes.map((n) => n.url).join(',');
  }

  /** The nodes' URLs without credentials, comma-separated: what a service's `AMQP_URL` gets (it logs in as its own user). */
  get serviceUrl(): string {
    return this.nodes.map((n) => `amqp://127.0.0.1:${n.port}`).join(',');
  }

  static async start(size = 3): Promise<RabbitCluster> {
    const dir = mkdtempSync(join(tmpdir(), 'xauth-rabbit-'));
    const id = randomBytes(2).toString('hex');
    const nodes: RabbitNode[] = [];
    const distPorts = new Map<string, number>();
    for (let i = 0; i < size; i++) {
      const port = await freePort();
      const name = `xauth-${String.fromCharCode(97 + i)}-${id}@localhost`;
      nodes.push({ name, port, url: `amqp://guest:guest@127.0.0.1:${port}` });
      distPorts.set(name, await freePort());
    }
    const cluster = new RabbitCluster(dir, nodes, distPorts);
    live.add(cluster);
    try {
      mkdirSync(join(dir, 'home'));
      writeFileSync(join(dir, 'home', '.erlang.cookie'), randomBytes(24).toString('hex').toUpperCase());
      chmodSync(join(dir, 'home', '.erlang.cookie'), 0o400);
      writeFileSync(join(dir, 'env.conf'), '');
      writeFileSync(join(dir, 'enabled_plugins'), '[].\n');
      await Promise.all(nodes.map((n) => cluster.launch(n)));
      for (const n of nodes.slice(1)) {
        await cluster.ctl(n, 'stop_app');
        await cluster.ctl(n, 'join_cluster', nodes[0]!.name);
        await cluster.ctl(n, 'start_app');
      }
      await cluster.ctl(nodes[0]!, 'await_online_nodes', String(size));
      // The services' development users (the cluster shares them), as npm test gives the machine's broker.
      await importDefinitions(devBrokerDefinitions([]), (args, input) =>
        runWithInput(`${BIN}/rabbitmqctl`, ['-q', '-n', nodes[0]!.name, ...args], input, cluster.env()),
      );
      const deadline = Date.now() + 30_000;
      while (!(await devBrokerUsersLogIn(`127.0.0.1:${nodes[0]!.port}`))) {
        if (Date.now() > deadline) throw new Error('the development users imported into the test cluster do not log in');
        await new Promise((r) => setTimeout(r, 200));
      }
      return cluster;
    } catch (err) {
      await cluster.destroy();
      throw err;
    }
  }

  /** Starts a node's `rabbitmq-server` (again after `kill`) and waits until it serves. */
  async launch(node: RabbitNode): Promise<void> {
    const base = join(this.dir, node.name.split('@')[0]!);
    mkdirSync(base, { recursive: true });
    writeFileSync(join(base, 'rabbitmq.conf'), `listeners.tcp.1 = 127.0.0.1:${node.port}\nloopback_users = none\n`);
    const child = spawn(`${BIN}/rabbitmq-server`, [], {
      env: {
        ...this.env(),
        RABBITMQ_NODENAME: node.name,
        RABBITMQ_NODE_PORT: String(node.port),
        RABBITMQ_DIST_PORT: String(this.distPorts.get(node.name)),
        RABBITMQ_CONFIG_FILE: join(base, 'rabbitmq.conf'),
        RABBITMQ_ENABLED_PLUGINS_FILE: join(this.dir, 'enabled_plugins'),
        RABBITMQ_MNESIA_BASE: join(base, 'mnesia'),
        RABBITMQ_LOG_BASE: join(base, 'log'),
        RABBITMQ_PID_FILE: join(base, 'pid'),
      },
      stdio: 'ignore',
    });
    this.processes.set(node.name, child);
    await this.waitUntilServing(node, child);
  }

  private async waitUntilServing(node: RabbitNode, child: ChildProcess): Promise<void> {
    const until = Date.now() + 120_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`rabbitmq-server ${node.name} exited with ${child.exitCode}; see ${this.dir}`);
      try {
        await this.ctl(node, 'await_startup', '--timeout', '10');
        return;
      } catch (err) {
        if (Date.now() > until) throw err;
        await new Promise((r) => setTimeout(r, 300));
      }
    }
  }

  /** Runs `rabbitmqctl -n <node> ...args` against a node of this cluster. */
  async ctl(node: RabbitNode, ...args: string[]): Promise<string> {
    const { stdout } = await run(`${BIN}/rabbitmqctl`, ['-q', '-n', node.name, ...args], { env: this.env(), timeout: 120_000 });
    return stdout;
  }

  /** The node that leads a quorum queue, asked of a running node. */
  async leaderOf(queue: string, askNode: RabbitNode = this.nodes[0]!): Promise<RabbitNode> {
    const rows = JSON.parse(await this.ctl(askNode, 'list_queues', 'name', 'leader', '--formatter', 'json')) as Array<{ name: string; leader: string }>;
    const leader = rows.find((r) => r.name === queue)?.leader;
    const node = this.nodes.find((n) => n.name === leader);
    if (!node) throw new Error(`no leader for ${queue} among ${JSON.stringify(rows.map((r) => r.name))}`);
    return node;
  }

  /** Stops the broker on a node (`stop_app`): its connections close, its Erlang node stays up. */
  async stopApp(node: RabbitNode): Promise<void> {
    await this.ctl(node, 'stop_app');
  }

  async startApp(node: RabbitNode): Promise<void> {
    await this.ctl(node, 'start_app');
    await this.ctl(node, 'await_startup');
  }

  /** SIGKILLs a node's Erlang VM (beam.smp), as a crash or an OOM kill does. */
  async kill(node: RabbitNode): Promise<void> {
    const pid = this.beamPid(node);
    if (pid) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
    const child = this.processes.get(node.name);
    if (child && child.exitCode === null && child.signalCode === null) await new Promise((r) => child.once('exit', r));
  }

  private beamPid(node: RabbitNode): number | undefined {
    try {
      const pid = Number.parseInt(readFileSync(join(this.dir, node.name.split('@')[0]!, 'pid'), 'utf8'), 10);
      return Number.isInteger(pid) && pid > 0 ? pid : undefined;
    } catch {
      return undefined;
    }
  }

  /** Shuts every node down, kills what does not stop, removes the directory. */
  async destroy(): Promise<void> {
    await Promise.all(
      this.nodes.map(async (n) => {
        const child = this.processes.get(n.name);
        if (!child || child.exitCode !== null || child.signalCode !== null) return;
        await this.ctl(n, 'shutdown', '--timeout', '30').catch(() => this.kill(n));
        if (child.exitCode === null && child.signalCode === null) await new Promise((r) => child.once('exit', r));
      }),
    );
    this.killNow();
  }

  /** Synchronous last resort (process exit): SIGKILL every node still running, remove the directory. */
  killNow(): void {
    for (const n of this.nodes) {
      const child = this.processes.get(n.name);
      if (child && child.exitCode === null && child.signalCode === null) {
        const pid = this.beamPid(n);
        for (const p of [pid, child.pid])
          if (p)
            try {
              process.kill(p, 'SIGKILL');
            } catch {
              /* gone */
            }
      }
    }
    rmSync(this.dir, { recursive: true, force: true });
    live.delete(this);
  }

  /** The environment its rabbitmqctl runs in: the cluster's own HOME (cookie) and env file. */
  env(): NodeJS.ProcessEnv {
    return {
      PATH: process.env.PATH,
      HOME: join(this.dir, 'home'),
      // Our own (empty) env file instead of /etc/rabbitmq/rabbitmq-env.conf, which names the machine's node.
      RABBITMQ_CONF_ENV_FILE: join(this.dir, 'env.conf'),
      ERL_EPMD_ADDRESS: '127.0.0.1',
      LANG: 'C.UTF-8',
    };
  }
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}
