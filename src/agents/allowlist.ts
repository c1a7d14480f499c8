import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { RacelabError, messageOf } from '../core/errors.js';

/** One `--allow-targets` entry: addresses (one host's or a CIDR block's) and a port, or any port. */
interface AllowRule {
  readonly text: string;
  readonly addresses: BlockList;
  /** Undefined: any port (`*`). */
  readonly port: number | undefined;
}

/** Where an agent may send traffic when nobody says: this host's loopback, any port. */
export const DEFAULT_ALLOW_TARGETS = '127.0.0.0/8:*,[::1]:*';

function parsePortPart(text: string, entry: string): number | undefined {
  if (text === '*') return undefined;
  const n = /^\d{1,5}$/.test(text) ? Number(text) : NaN;
  if (!(n >= 1 && n <= 65_535)) throw new RacelabError('BAD_OPTION', `"${entry}": the port must be 1 to 65535 or *`, { subject: 'allowTargets' });
  return n;
}

function parseEntry(entry: string): AllowRule {
  const m = /^\[([^\]]+)\]:(.+)$/.exec(entry) ?? /^([^:]+):([^:]+)$/.exec(entry);
  if (!m) throw new RacelabError('BAD_OPTION', `"${entry}" is not host:port or CIDR:port (IPv6 in brackets: [::1]:50051, [fd00::/8]:*)`, { subject: 'allowTargets' });
  const [, where = '', portText = ''] = m;
  const port = parsePortPart(portText, entry);
  const addresses = new BlockList();
  const [address = '', bits] = where.split('/');
  const family = isIP(address);
  if (family === 0) {
    throw new RacelabError('BAD_OPTION', `"${entry}": ${address} is not an IP address; allow addresses or CIDR blocks (a name could be re-pointed by whoever controls its DNS)`, { subject: 'allowTargets' });
  }
  const type = family === 6 ? 'ipv6' : 'ipv4';
  if (bits === undefined) addresses.addAddress(address, type);
  else {
    const prefix = /^\d{1,3}$/.test(bits) ? Number(bits) : NaN;
    if (!(prefix >= 0 && prefix <= (family === 6 ? 128 : 32))) throw new RacelabError('BAD_OPTION', `"${entry}": /${bits} is not a prefix length for ${type}`, { subject: 'allowTargets' });
    addresses.addSubnet(address, prefix, type);
  }
  return { text: entry, addresses, port };
}

/**
 * The targets an agent may reach, whatever a job asks. A job's target names a host; the agent resolves it, checks
 * every address it resolves to, and connects to the address it checked (not the name again), so DNS cannot swap
 * the address between the check and the connection.
 */
export class TargetAllowlist {
  private constructor(private readonly rules: readonly AllowRule[]) {}

  static parse(text: string = DEFAULT_ALLOW_TARGETS): TargetAllowlist {
    const entries = text.split(',').map((s) => s.trim()).filter((s) => s !== '');
    if (entries.length === 0) throw new RacelabError('BAD_OPTION', 'name at least one host:port or CIDR:port', { subject: 'allowTargets' });
    return new TargetAllowlist(entries.map(parseEntry));
  }

  describe(): string {
    return this.rules.map((r) => r.text).join(',');
  }

  allowsAddress(address: string, port: number): boolean {
    const family = isIP(address);
    if (family === 0) return false;
    // An IPv4-mapped IPv6 address is the IPv4 host.
    const v4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
    return this.rules.some(
      (r) => (r.port === undefined || r.port === port) && (v4 ? r.addresses.check(v4, 'ipv4') : r.addresses.check(address, family === 6 ? 'ipv6' : 'ipv4')),
    );
  }

  /**
   * Resolves `host:port` and returns the address to connect to, or a reason it is refused (not allowed, or the
   * name does not resolve).
   */
  async resolve(target: string): Promise<{ address: string; port: number } | { refused: string }> {
    const m = /^\[([^\]]+)\]:(\d+)$/.exec(target) ?? /^([^:]+):(\d+)$/.exec(target);
    if (!m) return { refused: `target "${target}" is not host:port` };
    const host = m[1] as string;
    const port = Number(m[2]);
    let addresses: string[];
    try {
      addresses = isIP(host) ? [host] : (await lookup(host, { all: true })).map((a) => a.address);
    } catch (e) {
      return { refused: `target ${target} does not resolve (${messageOf(e)})` };
    }
    const outside = addresses.filter((a) => !this.allowsAddress(a, port));
    if (outside.length > 0 || addresses.length === 0) {
      return { refused: `target ${target}${isIP(host) ? '' : ` (${addresses.join(', ')})`} is outside this agent's allowlist ${this.describe()}` };
    }
    return { address: addresses[0] as string, port };
  }
}
