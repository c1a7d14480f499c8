import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { TargetOptions } from '../../attack/report.js';
import { EXIT_CALL_FAILED } from '../errors.js';
import { addMetadataOption } from '../metadata-option.js';
import { printJson, printResult } from '../output.js';


const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

interface TargetFlags {
  proto?: string[];
  importPath?: string[];
  metadata?: string[];
  tls?: boolean;
  ca?: string;
  cert?: string;
  key?: string;
  serverName?: string;
  connectTimeout: string;
  deadline?: string;
  json?: boolean;
}

/** The options every grpcurl-style verb shares: types, TLS, metadata, timeouts. */
function withTargetOptions(cmd: Command): Command {
  cmd
    .option('--proto <file>', '.proto file with the service (repeatable); server reflection when absent', collect)
    .option('-I, --import-path <dir>', 'folder to resolve proto imports from (repeatable)', collect);
  return addMetadataOption(cmd, 'metadata header')
    .option('--tls', 'use TLS (implied by --ca, --cert, --key)')
    .option('--ca <file>', "PEM file of the CA that signed the server's certificate")
    .option('--cert <file>', 'PEM client certificate (mutual TLS)')
    .option('--key <file>', 'PEM key of the client certificate')
    .option('--server-name <name>', "name to check the server's certificate against (and send as SNI)")
    .option('--connect-timeout <duration>', 'how long connecting may take', '5s')
    .option('--json', 'print the result as JSON');
}

function targetOptions(target: string, f: TargetFlags, lib: Lib): TargetOptions {
  const tlsOn = Boolean(f.tls || f.ca || f.cert || f.key);
  return {
    target,
    ...(f.proto?.length ? { proto: f.proto } : {}),
    ...(f.importPath?.length ? { importPaths: f.importPath } : {}),
    ...(f.metadata?.length ? { metadata: f.metadata } : {}),
    ...(tlsOn ? { tls: { ...(f.ca ? { ca: f.ca } : {}), ...(f.cert ? { cert: f.cert } : {}), ...(f.key ? { key: f.key } : {}), ...(f.serverName ? { serverName: f.serverName } : {}) } } : {}),
    connectTimeoutMs: lib.parseDuration(f.connectTimeout, '--connect-timeout', { maxMs: 60_000 }),
    ...(f.deadline ? { deadlineMs: lib.parseDuration(f.deadline, '--deadline', { maxMs: lib.ATTACK_LIMITS.maxDeadlineMs }) } : {}),
  };
}

/** `-d '{…}'`, `-d @file` or `-d @` (stdin), as grpcurl takes it. */
function readData(text: string | undefined, lib: Lib): unknown {
  let json = text ?? '{}';
  if (json.startsWith('@')) {
    const file = json.slice(1);
    try {
      json = readFileSync(file === '' || file === '-' ? 0 : file, 'utf8');
    } catch (e) {
      throw new lib.RacelabError('BAD_DATA', `-d: cannot read ${file === '' || file === '-' ? 'stdin' : file} (${e instanceof Error ? e.message : String(e)})`);
    }
  }
  try {
    return JSON.parse(json) as unknown;
  } catch (e) {
    throw new lib.RacelabError('BAD_DATA', `-d: not valid JSON (${e instanceof Error ? e.message : String(e)})`);
  }
}

export function register(program: Command): void {
  withTargetOptions(program.command('list <target> [service]').description("list a server's services, or one service's methods (server reflection or --proto)")).action(
    async (target: string, service: string | undefined, flags: TargetFlags) => {
      const lib = await loadLib();
      const names = await lib.listServices(targetOptions(target, flags, lib), service);
      if (flags.json) printJson({ kind: service ? 'methods' : 'services', ...(service ? { service } : {}), names });
      else printResult(names.join('\n'));
    },
  );

  withTargetOptions(program.command('describe <target> <symbol>').description('show a service, method, message or enum as .proto source')).action(
    async (target: string, symbol: string, flags: TargetFlags) => {
      const lib = await loadLib();
      const d = await lib.describeSymbol(targetOptions(target, flags, lib), symbol);
      if (flags.json) printJson({ ...d, kind: 'description', symbolKind: d.kind });
      else printResult(`${d.symbol} is ${d.kind}:\n${d.proto}`);
    },
  );

  withTargetOptions(program.command('call <target> <method>').description("call one unary method with a JSON request and print the response (exit 4 when the server answers with an error)"))
    .option('-d, --data <json>', "request JSON (proto3 JSON mapping); @FILE reads a file, @ reads stdin", '{}')
    .option('--deadline <duration>', 'deadline of the call', '10s')
    .action(async (target: string, method: string, flags: TargetFlags & { data?: string }) => {
      const lib = await loadLib();
      const options = targetOptions(target, flags, lib);
      const data = readData(flags.data, lib);
      const r = await lib.callMethod(options, method, data);
      if (flags.json) printJson({ kind: 'call', ...r });
      else if (r.response) printResult(JSON.stringify(r.response, null, 2));
      if (r.code !== 0) {
        if (!flags.json) process.stderr.write(`racelab: ${r.method} answered ${r.status}: ${r.details}\n`);
        process.exitCode = EXIT_CALL_FAILED;
      }
    });
}

/** The library modules this command runs, loaded when it runs (not for --help, and not the whole library). */
async function loadLib() {
  return {
    ...(await import('../../attack/inspect.js')),
    ...(await import('../../attack/report.js')),
    ...(await import('../../core/errors.js')),
    ...(await import('../../core/units.js')),
  };
}
type Lib = Awaited<ReturnType<typeof loadLib>>;
