import { status } from '../../grpc/status.js';
import { grpcError, scenarioVariant, type HostPorts, type HostedService, type ImpactScenario } from '../impacts/scenario.js';
import { privilegeVariants, type PrivilegeAudit, type RevokeResult } from './variants.js';
import { privilegeWorkload } from './workload.js';

const SERVICE = 'racelab.privilege.v1.Privileges';

const wire = (a: PrivilegeAudit): { actions: number; after_revoke: number } => ({ actions: a.actions, after_revoke: a.afterRevoke });

export const privilegeScenario: ImpactScenario = {
  name: 'privilege',
  title: 'privilege: an admin action takes effect after the revoke completed (time of check to time of use)',
  invariant: 'no admin action takes effect after a revoke of its user has completed',
  protoFile: 'privilege.proto',
  service: SERVICE,
  variants: privilegeVariants,
  model: 'privilege',
  open: async () => undefined,
  detectionRounds: 20,
  host(variantName: string, ports: HostPorts): HostedService {
    const svc = scenarioVariant('privilege', privilegeVariants, variantName).make(ports);
    return {
      handlers: {
        Grant: async (req: { user: string }) => wire(await svc.grant(req.user)),
        Revoke: async (req: { user: string }) => {
          const r: RevokeResult = await svc.revoke(req.user);
          return { ...wire(r), at_revoke: r.atRevoke };
        },
        AdminAction: async (req: { user: string }) => {
          const r = await svc.adminAction(req.user);
          if (!r.accepted) throw grpcError(status.PERMISSION_DENIED, r.message);
          return { actions: r.actions };
        },
        Audit: async (req: { user: string }) => wire(await svc.audit(req.user)),
      },
      stats: svc.stats,
      close: () => svc.close(),
    };
  },
  workload: (o) => privilegeWorkload(o),
  impact(_before, after) {
    const a = after as { actions: number; after_revoke: number };
    return {
      violated: a.after_revoke > 0,
      amount: a.after_revoke,
      unit: 'admin actions after revoke',
      detail: `${a.actions} admin actions took effect, ${a.after_revoke} of them after the revoke completed`,
    };
  },
  attack: {
    name: 'privilege',
    description: 'privilege revocation: each round grants mallory, then bursts Revoke and AdminAction; no action may take effect after the revoke completed',
    // Actions first in the burst: they pass their check as the revoke arrives, which is the race to measure.
    calls: [`${SERVICE}/AdminAction`, `${SERVICE}/Revoke`],
    callData: { [`${SERVICE}/Revoke`]: { user: 'mallory' }, [`${SERVICE}/AdminAction`]: { user: 'mallory' } },
    // The "before read" is the grant that opens each round.
    before: `${SERVICE}/Grant`,
    after: `${SERVICE}/Audit`,
    checkData: { user: 'mallory' },
    invariant: 'after.after_revoke == 0',
    model: 'privilege',
    historyOp(method, request, response) {
      const r = response as { actions?: unknown; at_revoke?: unknown } | undefined;
      if (method === 'Grant' || method === 'Audit') return { f: method.toLowerCase(), invokeValue: request ?? null, okValue: r?.actions ?? null };
      // A revoke's audit is read after it; the count as of the revoke is what places it among the actions.
      if (method === 'Revoke') return { f: 'revoke', invokeValue: request ?? null, okValue: r?.at_revoke ?? null };
      if (method === 'AdminAction') return { f: 'action', invokeValue: request ?? null, okValue: r?.actions ?? null };
      return undefined;
    },
  },
};
