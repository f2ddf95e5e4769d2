// How the evaluation names LoCoMo turns as chat messages, and what a question's evidence is.
// A turn's messageId is its LoCoMo `dia_id` ("D3:5": session 3, turn 5), which chat.message.v1
// accepts as an identifier and which is unique within the file (its tenant): a cited message id
// is the evidence id itself, no positional guess. A turn without a usable dia_id (none in the
// sample) falls back to `s<session>-t<seq>`, mapped back through the same table.
import { LocomoConversation, LocomoSession } from '@memory/datasets';

const SAFE_ID = /^[A-Za-z0-9][A-Za-z0-9._:@-]*$/;
const DIA_ID = /D(\d+):(\d+)/g;

/** An identifier chat.message.v1 accepts (letters, digits and . _ : @ -). */
export function safeId(value: string): string {
  return String(value)
    .replace(/[^A-Za-z0-9._:@-]/g, '-')
    .replace(/^[^A-Za-z0-9]/, 'x');
}

/** The tenant a LoCoMo file is replayed as. */
export function tenantOf(conversation: LocomoConversation): string {
  return `locomo-${safeId(conversation.id)}`;
}

/** The conversation a LoCoMo session is replayed as, and back. */
export function conversationIdOf(session: Pick<LocomoSession, 'number'>): string {
  return `session-${session.number}`;
}
export function sessionNumberOf(conversationId: string): number {
  return Number(/^session-(\d+)$/.exec(conversationId)?.[1]);
}

/** When turn `index` (0-based) of a session was said: the session's date, a minute a turn. */
export function turnTime(session: Pick<LocomoSession, 'createdAt'>, index: number): string {
  return new Date(Date.parse(session.createdAt) + index * 60_000).toISOString();
}

/** A LoCoMo file's message ids: turn by turn, the messageId produced and the dia_id it is. */
export class TurnIds {
  private readonly toDia = new Map<string, string>();
  private readonly toMessage = new Map<string, string>();
  private readonly diaIds = new Set<string>();

  constructor(conversation: LocomoConversation) {
    for (const session of conversation.sessions)
      session.turns.forEach((turn, i) => {
        const dia = normalDiaId(turn.dia_id) ?? `D${session.number}:${i + 1}`;
        const messageId =
          turn.dia_id === dia && SAFE_ID.test(dia) && !this.toDia.has(dia)
            ? dia
            : `s${session.number}-t${i + 1}`;
        this.toDia.set(messageId, dia);
        this.diaIds.add(dia);
        this.toMessage.set(`${session.number}:${i + 1}`, messageId);
      });
  }

  /** The messageId of turn `seq` (1-based) of session `session`. */
  messageId(session: number, seq: number): string {
    const id = this.toMessage.get(`${session}:${seq}`);
    if (id === undefined) throw new Error(`no turn ${seq} in session ${session}`);
    return id;
  }

  /** The dia_id of a produced messageId; undefined for an id this file never produced. */
  diaId(messageId: string): string | undefined {
    return this.toDia.get(messageId);
  }

  has(diaId: string): boolean {
    return this.diaIds.has(diaId);
  }
}

/** "D3:5" for a well-formed dia_id, undefined otherwise. */
function normalDiaId(value: string | undefined): string | undefined {
  const match = /^D(\d+):(\d+)$/.exec((value ?? '').trim());
  return match ? `D${Number(match[1])}:${Number(match[2])}` : undefined;
}

/** The turns a question's evidence names ("D3:5", also "D8:6; D9:17"), as dia_ids. */
export function evidenceTurns(evidence: readonly unknown[] | undefined): Set<string> {
  const turns = new Set<string>();
  for (const item of evidence ?? [])
    for (const match of String(item).matchAll(DIA_ID))
      turns.add(`D${Number(match[1])}:${Number(match[2])}`);
  return turns;
}

/** A question of categories 1-4: the sessions and the turns its evidence names. */
export interface Question {
  conversation: LocomoConversation;
  question: string;
  relevant: Set<number>;
  evidence: Set<string>;
}

/** The category 1-4 questions with evidence that names turns of their conversation. */
export function questionsOf(conversations: readonly LocomoConversation[]): Question[] {
  return conversations.flatMap((conversation) => {
    const ids = new TurnIds(conversation);
    return conversation.qa
      .filter((qa) => [1, 2, 3, 4].includes(Number(qa.category)))
      .map((qa): Question => {
        const evidence = new Set([...evidenceTurns(qa.evidence)].filter((id) => ids.has(id)));
        const relevant = new Set([...evidence].map((id) => Number(/^D(\d+):/.exec(id)?.[1])));
        return { conversation, question: String(qa.question), relevant, evidence };
      })
      .filter((q) => q.evidence.size > 0);
  });
}

/** Share of `evidence` (dia_ids) among the cited dia_ids. */
export function evidenceRecall(cited: Iterable<string>, evidence: ReadonlySet<string>): number {
  if (evidence.size === 0) return 0;
  const found = new Set([...cited].filter((id) => evidence.has(id)));
  return found.size / evidence.size;
}
