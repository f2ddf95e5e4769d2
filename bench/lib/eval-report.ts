// The LoCoMo evaluation's report: its JSON shape, the table it prints, and the issue's bars.
import { Age, AgeOutcome, ImportanceOutcome } from './age-stages';
import { CONTEXT_BUDGETS, ContextBudget, ContextFigures } from './context-recall';
import { TuningReport } from './fusion-tuning';
import { Metrics } from './retrieval-metrics';

export interface EvalReport {
  questions: number;
  conversations: number;
  sessions: number;
  k: number;
  age: Age;
  stage: AgeOutcome;
  /** The sessions' importance, and the boost the searches ran with. */
  importance: ImportanceOutcome & { boost: number };
  /** Whether the run's services wrote passages (false on a build without them). */
  passages: boolean;
  modes: Record<string, Metrics>;
  /** Evidence recall of POST /v1/context per budget; null when the service has no such route. */
  context: Record<ContextBudget, ContextFigures> | null;
  baselines: { bm25Turns: Record<ContextBudget, ContextFigures> };
  bars: Bar[];
  tuning?: TuningReport;
}

export interface Bar {
  name: string;
  value: number | null;
  atLeast: number;
  met: boolean;
}

/** The issue's bars that concern a stage: live memory, and recall once the raw text is gone. */
export function barsOf(
  age: Age,
  modes: Record<string, Metrics>,
  context: Record<ContextBudget, ContextFigures> | null,
): Bar[] {
  const bar = (name: string, value: number | null, atLeast: number): Bar => ({
    name,
    value,
    atLeast,
    met: value !== null && value >= atLeast,
  });
  const hybrid = modes.hybrid['recall@5'];
  switch (age) {
    case 'live':
      return [
        bar('hybrid recall@5', hybrid, 0.9),
        bar('context evidence recall at 1000 tokens', context?.[1000].evidenceRecall ?? null, 0.8),
      ];
    case 'compressed':
      return [];
    case 'archived':
      return [bar('hybrid recall@5', hybrid, 0.75)];
    case 'old':
      return [bar('hybrid recall@5', hybrid, 0.6)];
  }
}

const fixed = (value: number | null | undefined, width: number): string =>
  (value === null || value === undefined ? '-' : value.toFixed(3)).padStart(width);

/** The readable tables of a report. */
export function reportText(report: EvalReport): string {
  const lines: string[] = [];
  const { stage } = report;
  lines.push(
    '',
    `age ${report.age}: as of ${stage.asOf}; tiers ${JSON.stringify(stage.tiers)}; ` +
      `${stage.messagesInPostgres} raw messages in Postgres, ${stage.archives} archives; ` +
      `passages ${report.passages ? 'on' : 'off'}`,
    `importance: ${report.importance.scored} sessions scored, mean ` +
      `${report.importance.mean.toFixed(3)}, max ${report.importance.max.toFixed(3)}; ` +
      `boost ${report.importance.boost}`,
    '',
    'mode      recall@1 recall@5 recall@10  hit@5    MRR',
  );
  for (const [mode, m] of Object.entries(report.modes))
    lines.push(
      `${mode.padEnd(9)} ${fixed(m['recall@1'], 8)} ${fixed(m['recall@5'], 8)} ` +
        `${fixed(m['recall@10'], 9)} ${fixed(m['hit@5'], 6)} ${fixed(m.mrr, 6)}`,
    );
  lines.push('', 'evidence recall  budget  /v1/context (tokens, items)  bm25Turns (tokens)');
  for (const budget of CONTEXT_BUDGETS) {
    const context = report.context?.[budget];
    const base = report.baselines.bm25Turns[budget];
    lines.push(
      `${' '.repeat(17)}${String(budget).padStart(6)}  ${fixed(context?.evidenceRecall, 11)} ` +
        `(${context ? `${context.tokens.toFixed(0)}, ${context.items?.toFixed(1)}` : 'no route'})`.padEnd(
          16,
        ) +
        `${fixed(base.evidenceRecall, 10)} (${base.tokens.toFixed(0)})`,
    );
  }
  if (report.tuning) {
    const t = report.tuning;
    lines.push(
      '',
      `fusion weights and second-passage share by leave-one-conversation-out (${t.grid} ` +
        'points; hybrid, offline):',
      `  LOCO recall@5 ${fixed(t.loco['recall@5'], 5)} MRR ${fixed(t.loco.mrr, 5)}; ` +
        `defaults ${weightsText(t.defaultWeights)} share ${t.defaultShare} ` +
        `recall@5 ${fixed(t.defaults['recall@5'], 5)} ` +
        `MRR ${fixed(t.defaults.mrr, 5)}`,
    );
    for (const fold of t.folds)
      lines.push(
        `  held out ${fold.heldOut} (${fold.questions} q): ${weightsText(fold.weights)} ` +
          `share ${fold.share} ` +
          `train ${fixed(fold.trainRecallAt5, 5)}, held out ${fixed(fold.heldOutRecallAt5, 5)} ` +
          `(defaults ${fixed(fold.defaultRecallAt5, 5)})`,
      );
  }
  lines.push('');
  if (report.bars.length === 0) lines.push(`no bar for stage ${report.age}`);
  for (const bar of report.bars)
    lines.push(
      `bar: ${bar.name} >= ${bar.atLeast.toFixed(2)}: ${fixed(bar.value, 5).trim()} ` +
        `${bar.met ? 'met' : 'NOT met'}`,
    );
  return `${lines.join('\n')}\n`;
}

function weightsText(weights: Readonly<Record<string, number>>): string {
  return `{${Object.entries(weights)
    .map(([name, value]) => `${name} ${value}`)
    .join(', ')}}`;
}
