// The boundary between the transport (src/iscsi) and the SCSI command sets.
// The transport gathers a task's Data-Out, hands a ScsiCommand to the logical
// unit, and turns the ScsiResult into Data-In and a SCSI Response.

/** SAM-5 status codes. */
export const Status = {
  GOOD: 0x00,
  CHECK_CONDITION: 0x02,
  CONDITION_MET: 0x04,
  BUSY: 0x08,
  RESERVATION_CONFLICT: 0x18,
  TASK_SET_FULL: 0x28,
  ACA_ACTIVE: 0x30,
  TASK_ABORTED: 0x40,
} as const;
export type Status = (typeof Status)[keyof typeof Status];

/** SAM-5 task attributes as carried by the transport. */
export type TaskAttribute = 'untagged' | 'simple' | 'ordered' | 'head-of-queue' | 'aca';

/** The I_T nexus a command arrived on: who is asking, through which port. */
export interface Nexus {
  /** Initiator port name, unique per I_T nexus: "<iqn>,i,0x<isid hex>" (RFC 7143 / SPC-4 TransportID). */
  readonly initiatorPort: string;
  /** Initiator iSCSI name (IQN/EUI). */
  readonly initiatorName: string;
  /** ISID as 12 hex digits. */
  readonly isid: string;
  /** Target port name: "<target iqn>,t,0x<tpgt hex>". */
  readonly targetPort: string;
  /** RELATIVE TARGET PORT IDENTIFIER (VPD 83h), 1-based. */
  readonly relativeTargetPortId: number;
}

/** What a logical unit knows of the target it sits in. */
export interface TargetContext {
  /** The LUNs currently mapped on the target, ascending. */
  luns(): readonly number[];
}

export interface ScsiCommand {
  readonly cdb: Buffer;
  readonly lun: number;
  readonly nexus: Nexus;
  readonly target: TargetContext;
  readonly taskAttribute: TaskAttribute;
  /** iSCSI Expected Data Transfer Length (bytes the initiator will accept or send). */
  readonly expectedLength: number;
  /**
   * All Data-Out the initiator sent, gathered; undefined for commands without
   * data-out. Valid until execute() settles: the transport then reuses the
   * memory for later commands, so a logical unit that keeps any of it past
   * that point keeps a copy.
   */
  readonly dataOut: Buffer | undefined;
  /** Aborted by task management (ABORT TASK, LUN RESET, ...). Long handlers may check it. */
  readonly signal: AbortSignal;
}

/**
 * The outcome of a command. `dataIn` may be longer than the initiator's
 * expected length: the transport truncates and reports the overflow residual.
 * `sense` is present exactly when status is CHECK CONDITION.
 */
export interface ScsiResult {
  readonly status: Status;
  readonly dataIn?: Buffer;
  readonly sense?: Buffer;
  /**
   * For a data-out command that consumed fewer bytes than sent (rare); data-in
   * residuals are derived by the transport from dataIn vs expectedLength.
   */
  readonly dataOutUsed?: number;
}

/** SAM-5 task management functions the transport forwards to every affected logical unit. */
export type ResetKind = 'lun-reset' | 'target-warm-reset' | 'target-cold-reset';

/** A logical unit as the transport sees it. */
export interface LogicalUnit {
  /** SPC-4 PERIPHERAL DEVICE TYPE (0 disk, 1 tape, 8 medium changer). */
  readonly peripheralType: number;
  /** Execute one command. Never rejects: every failure is a ScsiResult. */
  execute(cmd: ScsiCommand): Promise<ScsiResult>;
  /** A reset reached this LU: clear its task set's state and raise the unit attentions SAM-5 asks for. */
  reset(kind: ResetKind, by: Nexus | undefined): void;
  /** The I_T nexus is gone (session closed or reinstated): drop its per-nexus state (SPC-4 I_T nexus loss). */
  nexusLost(nexus: Nexus): void;
  /** The target is stopping: flush and release. */
  close(): Promise<void>;
  /** The target's LUN inventory changed: REPORTED LUNS DATA HAS CHANGED (3F/0E) for every I_T nexus (SPC-4 6.33). */
  lunsChanged?(): void;
}
