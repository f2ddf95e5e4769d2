/** The step of a pass a conversation failed in. */
export type LifecycleStep = 'compress' | 'erase' | 'erase-completion' | 'importance' | 'archive';

/**
 * Why a conversation failed, as a metric label: a small fixed set, so the label cannot grow
 * with what errors say. The log line carries the error itself.
 */
export type FailureReason = 'filesystem' | 'archive-verification' | 'database' | 'other';

/** One conversation a pass skipped because working on it failed. */
export interface ConversationFailure {
  step: LifecycleStep;
  tenantId: string;
  conversationId: string;
  reason: FailureReason;
  /** `Name: message` of the error. */
  error: string;
}

/** Told of each conversation a pass skipped (to log and count it). */
export type OnConversationFailure = (failure: ConversationFailure) => void;

/** Checks that the database answers; rejects when it does not. */
export type DatabaseProbe = () => Promise<unknown>;

/** Failures kept in a pass report (the count is always complete). */
export const LISTED_FAILURES = 20;

/** The metric label of an error. */
export function failureReason(error: unknown): FailureReason {
  if (!(error instanceof Error)) return 'other';
  if (error.name === 'ArchiveVerificationError') return 'archive-verification';
  if (error.name === 'QueryFailedError') return 'database';
  const code = (error as { code?: unknown }).code;
  // Node's file system errors carry an errno name (EACCES, ENOSPC, ENAMETOOLONG, ...).
  if (typeof code === 'string' && /^E[A-Z0-9]+$/.test(code) && 'syscall' in error)
    return 'filesystem';
  return 'other';
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/**
 * Runs the work of one conversation so that its failure skips it rather than ending the pass:
 * the failure is handed to `onFailure` and `undefined` comes back. One exception: when the
 * database itself does not answer (`probe` rejects), the error is thrown, since every
 * conversation after this one would fail the same way; the pass fails and the next resumes.
 */
export async function isolateConversation<T>(
  step: LifecycleStep,
  conversation: { tenantId: string; conversationId: string },
  probe: DatabaseProbe,
  onFailure: OnConversationFailure,
  work: () => Promise<T>,
): Promise<T | undefined> {
  try {
    return await work();
  } catch (error) {
    try {
      await probe();
    } catch {
      throw error;
    }
    onFailure({
      step,
      tenantId: conversation.tenantId,
      conversationId: conversation.conversationId,
      reason: failureReason(error),
      error: describe(error),
    });
    return undefined;
  }
}

/** Counts a failure in a report and keeps the first few, then tells `onFailure`. */
export function recordFailure(
  report: { failed: number; failures: ConversationFailure[] },
  onFailure: OnConversationFailure | undefined,
): OnConversationFailure {
  return (failure) => {
    report.failed++;
    if (report.failures.length < LISTED_FAILURES) report.failures.push(failure);
    onFailure?.(failure);
  };
}
