// Summary quality of the `local` backend on the LoCoMo development sample (Maharana et al.,
// "Evaluating Very Long-Term Conversational Memory of LLM Agents", ACL 2024). A report, not a
// test: it exits 0 whatever the figures, non-zero only when the run itself fails.
//
//   npm run eval:summary-quality [-- --out report.json] [--ratio 0.2] [--max-chars 2000]
//                                [--fold-size 10] [--dir ../shared/data/locomo] [--show N]
//
// Each session is one conversation: its turns in order (content = text, plus
// " [shared a photo: <caption>]"; userId = the speaker), folded as the service does, 10
// messages at a time, each fold starting from the previous result, with maxSummaryChars =
// --max-chars (the service default, 2000). Figures:
//   - compression: rendered summary length / characters of the session's message content
//     (captions included: they are part of what was said); also shown against the turns'
//     text alone;
//   - retrieval: per file, one BM25 index (k1 1.2, b 0.75) over that file's session summaries;
//     each question of categories 1-4 is a query, the sessions of its evidence are relevant.
//     Recall@5 = |relevant ∩ top 5| / |relevant|, averaged over questions; MRR = mean of
//     1 / rank of the first relevant session. The same for the human reference summaries
//     shipped in the files (session_N_summary). Overall figures average over all questions.
import { writeFileSync } from 'node:fs';
import { renderSummaryText, SummarySections } from '@memory/contracts';
import {
  DEFAULT_LOCOMO_DIR,
  evidenceSessions,
  loadLocomo,
  LocomoConversation,
  LocomoMessage,
} from '@memory/datasets';
import { LocalSummarizer, SummaryDraft } from '@memory/summarization';
import { bm25Index, rankMetrics } from './lib/bm25';
import { Cell, table } from '../deploy/run/console';

const DEFAULT_FOLD_SIZE = 10;
const TOP_K = 5;

interface Args {
  out: string | null;
  ratio: number | undefined;
  maxChars: number;
  foldSize: number;
  dir: string;
  show: number;
}

function parseArgs(argv: string[]): Args {
  const args: Args = {
    out: null,
    ratio: undefined,
    maxChars: 2000,
    foldSize: DEFAULT_FOLD_SIZE,
    dir: process.env.LOCOMO_DIR || DEFAULT_LOCOMO_DIR,
    show: 0,
  };
  for (let i = 0; i < argv.length; i++) {
    const next = (): string => argv[++i];
    if (argv[i] === '--out') args.out = next();
    else if (argv[i] === '--ratio') args.ratio = Number(next());
    else if (argv[i] === '--max-chars') args.maxChars = Number(next());
    else if (argv[i] === '--fold-size') args.foldSize = Number(next());
    else if (argv[i] === '--dir') args.dir = next();
    else if (argv[i] === '--show') args.show = Number(next());
    else throw new Error(`unknown argument ${argv[i]}`);
  }
  return args;
}

async function summarizeSession(
  summarizer: LocalSummarizer,
  messages: LocomoMessage[],
  maxSummaryChars: number,
  foldSize: number,
): Promise<{ text: string; sections: SummarySections; memoChars: number; durationMs: number }> {
  let previous: SummaryDraft | null = null;
  let durationMs = 0;
  for (let i = 0; i < messages.length; i += foldSize) {
    const piece = messages.slice(i, i + foldSize);
    const result = await summarizer.fold(previous, piece, { maxSummaryChars });
    durationMs += result.cost.durationMs;
    previous = {
      sections: result.sections,
      memo: result.memo,
      messageCount: i + piece.length,
    };
  }
  if (!previous) throw new Error('a session without messages');
  return {
    text: renderSummaryText(previous.sections),
    sections: previous.sections,
    memoChars: JSON.stringify(previous.memo ?? null).length,
    durationMs,
  };
}

function retrieval(
  conversation: LocomoConversation,
  documents: string[],
): { recall: number; hit: number; reciprocalRank: number; questions: number; recalls: number[] } {
  const index = bm25Index(documents);
  let recall = 0;
  let hit = 0;
  let reciprocalRank = 0;
  let questions = 0;
  const recalls: number[] = [];
  for (const qa of conversation.qa) {
    if (!(Number(qa.category) >= 1 && Number(qa.category) <= 4)) continue;
    const evidence = evidenceSessions(qa.evidence);
    const relevant = new Set<number>();
    conversation.sessions.forEach((session, i) => {
      if (evidence.has(session.number)) relevant.add(i);
    });
    if (relevant.size === 0) continue;
    const metrics = rankMetrics(index, qa.question, relevant, TOP_K);
    recall += metrics.recall;
    recalls.push(metrics.recall);
    hit += metrics.hit;
    reciprocalRank += metrics.reciprocalRank;
    questions++;
  }
  return { recall, hit, reciprocalRank, questions, recalls };
}

function standardError(values: number[]): number {
  if (values.length < 2) return 0;
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const variance = values.reduce((a, b) => a + (b - mean) ** 2, 0) / (values.length - 1);
  return Math.sqrt(variance / values.length);
}

const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;
const fix = (x: number): string => x.toFixed(3);

interface Figures {
  sessions: number;
  questions: number;
  summaryRatioMax: number;
  summaryRatioMean: number;
  recallAt5Local: number;
  recallAt5Reference: number;
  hitAt5Local: number;
  hitAt5Reference: number;
  mrrLocal: number;
  mrrReference: number;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const summarizer = new LocalSummarizer(
    args.ratio === undefined ? {} : { maxInputRatio: args.ratio },
  );
  const conversations = loadLocomo(args.dir);
  const perFile: Array<Figures & { file: string }> = [];
  const ratios: number[] = [];
  const spokenRatios: number[] = [];
  const referenceRatios: number[] = [];
  const totals = {
    local: { recall: 0, hit: 0, rr: 0 },
    reference: { recall: 0, hit: 0, rr: 0 },
    questions: 0,
  };
  // Per question, local recall@5 minus reference recall@5 (same questions, same order).
  const differences: number[] = [];
  let foldMs = 0;
  let memoMax = 0;
  let shown = 0;

  for (const conversation of conversations) {
    const summaries: string[] = [];
    const fileRatios: number[] = [];
    for (const session of conversation.sessions) {
      const summary = await summarizeSession(
        summarizer,
        session.messages,
        args.maxChars,
        args.foldSize,
      );
      summaries.push(summary.text);
      fileRatios.push(summary.text.length / session.textChars);
      spokenRatios.push(summary.text.length / Math.max(1, session.spokenChars));
      referenceRatios.push(session.referenceSummary.length / session.textChars);
      foldMs += summary.durationMs;
      memoMax = Math.max(memoMax, summary.memoChars);
      if (shown < args.show) {
        shown++;
        process.stdout.write(
          `\n--- ${conversation.id} session ${session.number} (${session.textChars} chars)\n` +
            `${summary.text}\n--- reference\n${session.referenceSummary}\n`,
        );
      }
    }
    ratios.push(...fileRatios);
    const local = retrieval(conversation, summaries);
    const reference = retrieval(
      conversation,
      conversation.sessions.map((s) => s.referenceSummary),
    );
    const n = Math.max(1, local.questions);
    perFile.push({
      file: conversation.id,
      sessions: conversation.sessions.length,
      questions: local.questions,
      summaryRatioMax: Math.max(...fileRatios),
      summaryRatioMean: fileRatios.reduce((a, b) => a + b, 0) / fileRatios.length,
      recallAt5Local: local.recall / n,
      recallAt5Reference: reference.recall / n,
      hitAt5Local: local.hit / n,
      hitAt5Reference: reference.hit / n,
      mrrLocal: local.reciprocalRank / n,
      mrrReference: reference.reciprocalRank / n,
    });
    local.recalls.forEach((r, i) => differences.push(r - reference.recalls[i]));
    for (const [key, metrics] of [
      ['local', local],
      ['reference', reference],
    ] as const) {
      totals[key].recall += metrics.recall;
      totals[key].hit += metrics.hit;
      totals[key].rr += metrics.reciprocalRank;
    }
    totals.questions += local.questions;
  }

  const q = Math.max(1, totals.questions);
  const overall = {
    sessions: ratios.length,
    questions: totals.questions,
    summaryRatioMax: Math.max(...ratios),
    summaryRatioMean: ratios.reduce((a, b) => a + b, 0) / ratios.length,
    summaryRatioMaxSpoken: Math.max(...spokenRatios),
    summaryRatioMeanSpoken: spokenRatios.reduce((a, b) => a + b, 0) / spokenRatios.length,
    referenceRatioMean: referenceRatios.reduce((a, b) => a + b, 0) / referenceRatios.length,
    recallAt5Local: totals.local.recall / q,
    recallAt5Reference: totals.reference.recall / q,
    hitAt5Local: totals.local.hit / q,
    hitAt5Reference: totals.reference.hit / q,
    mrrLocal: totals.local.rr / q,
    mrrReference: totals.reference.rr / q,
    recallAt5DifferenceStdErr: standardError(differences),
    maxInputRatio: args.ratio ?? 0.2,
    maxSummaryChars: args.maxChars,
    foldSize: args.foldSize,
    foldMsTotal: foldMs,
    memoCharsMax: memoMax,
  };

  const row = (name: string, r: Figures): Cell[] => [
    name,
    r.sessions,
    r.questions,
    pct(r.summaryRatioMax),
    pct(r.summaryRatioMean),
    fix(r.recallAt5Local),
    fix(r.recallAt5Reference),
    fix(r.hitAt5Local),
    fix(r.hitAt5Reference),
    fix(r.mrrLocal),
    fix(r.mrrReference),
  ];
  const header = [
    'file',
    'sessions',
    'questions',
    'ratio max',
    'ratio mean',
    'R@5 local',
    'R@5 ref',
    'hit@5 local',
    'hit@5 ref',
    'MRR local',
    'MRR ref',
  ];
  process.stdout.write(
    `\nLocal summaries vs LoCoMo reference summaries (BM25 per file, top ${TOP_K}; ` +
      `folds of ${args.foldSize}, maxSummaryChars ${args.maxChars}, ratio ${overall.maxInputRatio})\n`,
  );
  process.stdout.write(
    table(
      [header, ...perFile.map((r) => row(r.file, r)), row('overall', overall)],
      [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
    ) + '\n',
  );
  process.stdout.write(
    `against the turns' text without photo captions: ratio max ` +
      `${pct(overall.summaryRatioMaxSpoken)}, mean ${pct(overall.summaryRatioMeanSpoken)}\n`,
  );
  process.stdout.write(
    `reference summaries: mean ratio ${pct(overall.referenceRatioMean)}; ` +
      `local folds: ${foldMs.toFixed(0)} ms in all, largest memo ${memoMax} chars\n`,
  );
  process.stdout.write(
    `recall@5 local - reference: ${fix(overall.recallAt5Local - overall.recallAt5Reference)} ` +
      `(paired standard error ${fix(overall.recallAt5DifferenceStdErr)})\n`,
  );
  const verdict =
    overall.summaryRatioMax <= 0.25 && overall.recallAt5Local >= overall.recallAt5Reference;
  process.stdout.write(
    `bar (every ratio <= 25%, recall@5 >= reference): ${verdict ? 'met' : 'NOT met'}\n`,
  );
  if (args.out) {
    writeFileSync(args.out, JSON.stringify({ perFile, overall }, null, 2) + '\n');
    process.stdout.write(`wrote ${args.out}\n`);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
