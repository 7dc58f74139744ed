// Task management functions (RFC 7143 §11.5-11.6, SAM-5 §7). At ERL 0 an
// aborted task gets no response of its own; the TMF response is sent once
// every affected task that was running has settled.
import { TmfFunction, TmfResponse } from './constants.ts';
import { decodeLun } from './lun.ts';
import type { TaskMgmtPdu } from './pdu.ts';
import { snLess, type Session } from './session.ts';
import type { TargetDefinition } from './target.ts';
import type { LogicalUnit, ResetKind } from '../../scsi/command.ts';
import type { Logger } from './logger.ts';

export interface TmfContext {
  /** Every live session logged in to the target (including `session`). */
  sessionsOf(target: TargetDefinition): Iterable<Session>;
  readonly logger: Logger;
}

export interface TmfOutcome {
  readonly response: TmfResponse;
  /** TARGET COLD RESET: the caller drops every connection of the target after answering. */
  readonly dropTargetConnections: boolean;
}

const done = (response: TmfResponse, dropTargetConnections = false): TmfOutcome => ({ response, dropTargetConnections });

function reset(lu: LogicalUnit, kind: ResetKind, session: Session, logger: Logger): void {
  try {
    lu.reset(kind, session.nexus);
  } catch (e) {
    logger.error('logical unit reset() threw', { kind, error: e instanceof Error ? e.message : String(e) });
  }
}

export async function taskManagement(pdu: TaskMgmtPdu, session: Session, ctx: TmfContext): Promise<TmfOutcome> {
  const target = session.target;
  if (target === undefined) return done(TmfResponse.REJECTED);
  const lun = decodeLun(pdu.lun);
  switch (pdu.fn) {
    case TmfFunction.ABORT_TASK: {
      const task = session.task(pdu.referencedTaskTag);
      if (task !== undefined) {
        await session.abort((t) => t === task);
        return done(TmfResponse.FUNCTION_COMPLETE);
      }
      // RFC 7143 §11.5.1: a referenced command not yet received whose RefCmdSN is
      // inside the window and before this request is considered received.
      if (session.inWindow(pdu.refCmdSN) && snLess(pdu.refCmdSN, pdu.cmdSN)) {
        session.preAbort(pdu.refCmdSN);
        return done(TmfResponse.FUNCTION_COMPLETE);
      }
      return done(TmfResponse.TASK_DOES_NOT_EXIST);
    }
    case TmfFunction.ABORT_TASK_SET:
      if (lun === undefined) return done(TmfResponse.LUN_DOES_NOT_EXIST);
      await session.abort((t) => t.lun === lun);
      return done(TmfResponse.FUNCTION_COMPLETE);
    case TmfFunction.CLEAR_TASK_SET:
      if (lun === undefined) return done(TmfResponse.LUN_DOES_NOT_EXIST);
      await Promise.all([...ctx.sessionsOf(target)].map((s) => s.abort((t) => t.lun === lun)));
      return done(TmfResponse.FUNCTION_COMPLETE);
    case TmfFunction.LOGICAL_UNIT_RESET: {
      const lu = lun === undefined ? undefined : target.luns.get(lun);
      if (lu === undefined) return done(TmfResponse.LUN_DOES_NOT_EXIST);
      await Promise.all([...ctx.sessionsOf(target)].map((s) => s.abort((t) => t.lun === lun)));
      reset(lu, 'lun-reset', session, ctx.logger);
      return done(TmfResponse.FUNCTION_COMPLETE);
    }
    case TmfFunction.TARGET_WARM_RESET:
    case TmfFunction.TARGET_COLD_RESET: {
      const cold = pdu.fn === TmfFunction.TARGET_COLD_RESET;
      await Promise.all([...ctx.sessionsOf(target)].map((s) => s.abort(() => true)));
      const lus = new Set(target.luns.values());
      for (const lu of lus) reset(lu, cold ? 'target-cold-reset' : 'target-warm-reset', session, ctx.logger);
      return done(TmfResponse.FUNCTION_COMPLETE, cold);
    }
    case TmfFunction.TASK_REASSIGN:
      // RFC 7143 §11.5.1: needs ErrorRecoveryLevel 2.
      return done(TmfResponse.REASSIGNMENT_NOT_SUPPORTED);
    default:
      return done(TmfResponse.NOT_SUPPORTED);
  }
}
