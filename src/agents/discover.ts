import { createInbox, type NatsConnection } from 'nats';
import { maskBrokerUrl } from '../broker/names.js';
import { RacelabError } from '../core/errors.js';
import { discoverSubject, type AgentHealth } from './protocol.js';

export interface ChooseAgentsOptions {
  readonly natsUrl: string;
  readonly prefix: string;
  /** How long to wait for agents to answer. */
  readonly discoverMs?: number;
  /** Agents wanted; every idle one that answers when absent. */
  readonly agentCount?: number;
}

/** Asks every agent under the prefix for its health, for `discoverMs` (or until `agentCount` idle ones answered). */
async function discover(nc: NatsConnection, o: ChooseAgentsOptions): Promise<AgentHealth[]> {
  const inbox = createInbox();
  const sub = nc.subscribe(inbox);
  const out: AgentHealth[] = [];
  const timer = setTimeout(() => sub.unsubscribe(), o.discoverMs ?? 1000);
  nc.publish(discoverSubject(o.prefix), '', { reply: inbox });
  for await (const m of sub) {
    try {
      out.push(JSON.parse(m.string()) as AgentHealth);
    } catch {
      // Not an agent's answer.
    }
    if (o.agentCount !== undefined && out.filter((h) => h.state === 'idle').length >= o.agentCount) break;
  }
  clearTimeout(timer);
  sub.unsubscribe();
  return out;
}

/**
 * The idle agents a coordinator will use, sorted by name: `agentCount` of them, or all that answered. None
 * answering, or fewer than asked for, is a one-line RacelabError naming where it looked.
 */
export async function chooseIdleAgents(nc: NatsConnection, o: ChooseAgentsOptions): Promise<AgentHealth[]> {
  const found = await discover(nc, o);
  const idle = found.filter((h) => h.state === 'idle').sort((a, b) => (a.agent < b.agent ? -1 : a.agent > b.agent ? 1 : 0));
  const want = o.agentCount ?? idle.length;
  const where = `under subject prefix ${o.prefix} at ${maskBrokerUrl(o.natsUrl)}`;
  if (idle.length === 0) {
    throw new RacelabError('TIMEOUT', `no idle agent answered within ${o.discoverMs ?? 1000}ms ${where}${found.length ? ` (${found.length} busy)` : ''}; start one with racelab agent`, { subject: 'agents' });
  }
  if (want > idle.length) {
    throw new RacelabError('BAD_OPTION', `${want} agents asked for, ${idle.length} idle answered ${where} (${idle.map((h) => h.agent).join(', ')})`, { subject: 'agentCount' });
  }
  return idle.slice(0, want);
}
