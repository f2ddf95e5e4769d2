import type {
  ContextResponse,
  ConversationSummary,
  MessagePage,
  SearchResponse,
  UserProfile,
} from '@memory/client';

// Tool results as text an agent reads: plain lines, every fact with the conversation id and
// the seq range it comes from, so the agent can cite it or read on with get_messages.

const HTML_TAG = /<\/?em>/g;

function plain(html: string): string {
  return html
    .replace(HTML_TAG, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&');
}

const day = (iso: string | null | undefined) => (iso ? iso.slice(0, 10) : 'undated');

function seqs(from: number, to: number): string {
  return from === to ? `seq ${from}` : `seq ${from}-${to}`;
}

export function renderSearch(query: string, found: SearchResponse): string {
  if (found.results.length === 0) return `No conversation found for "${query}".`;
  const lines = [`${found.results.length} conversations found for "${query}", best first:`];
  found.results.forEach((result, index) => {
    lines.push(
      '',
      `${index + 1}. conversation ${result.conversationId} (user ${result.userId}, last message ${day(result.lastMessageAt)}, score ${result.score.toFixed(3)})`,
    );
    if (result.summary?.context) lines.push(`   Summary: ${result.summary.context}`);
    for (const point of result.summary?.keyPoints.slice(0, 3) ?? []) lines.push(`   - ${point}`);
    for (const evidence of result.evidence) {
      const where =
        result.evidenceSource === 'summary'
          ? 'from its summary (messages archived)'
          : `[${result.conversationId}, ${seqs(evidence.seqFrom, evidence.seqTo)}, ${day(evidence.at)}]`;
      lines.push(`   Evidence ${where}:`);
      for (const line of evidence.text.split('\n')) lines.push(`     ${line}`);
    }
    if (result.evidence.length === 0 && result.snippet) lines.push(`   ${plain(result.snippet)}`);
  });
  if (found.nextCursor) lines.push('', 'More results exist: ask with a larger limit.');
  return lines.join('\n');
}

export function renderContext(answer: ContextResponse): string {
  if (answer.items.length === 0) return 'No memory found for this query.';
  return `${answer.text}\n\n(${answer.tokens} of ${answer.budget} tokens, ${answer.items.length} items)`;
}

export function renderSummary(summary: ConversationSummary): string {
  const { sections } = summary;
  const lines = [
    `Conversation ${summary.conversationId} (user ${summary.userId}), summary version ${summary.version} through seq ${summary.throughSeq}, tier ${summary.tier}, ${summary.stats.messageCount} messages, ${day(summary.stats.firstMessageAt)} to ${day(summary.stats.lastMessageAt)}.`,
  ];
  if (sections.context) lines.push('', sections.context);
  const list = (title: string, items: readonly string[] | undefined) => {
    if (items && items.length > 0) lines.push('', `${title}:`, ...items.map((item) => `- ${item}`));
  };
  list('Key points', sections.keyPoints);
  list(
    'Decisions',
    sections.decisions.map((decision) => {
      const why = sections.rationales?.[decision];
      return why ? `${decision} (why: ${why})` : decision;
    }),
  );
  list('Action items', sections.actionItems);
  list('Open questions', sections.openQuestions);
  list('Lessons', sections.lessons);
  list('Entities', sections.entities);
  list('Dates', sections.dates);
  list('Numbers', sections.numbers);
  if (sections.mood) lines.push('', `Mood: ${sections.mood}`);
  if (lines.length === 1 && summary.text) lines.push('', summary.text);
  return lines.join('\n');
}

export function renderMessages(page: MessagePage): string {
  if (page.items.length === 0)
    return `No messages in conversation ${page.conversationId} after that seq.`;
  const lines = page.items.map(
    (message) =>
      `[${page.conversationId}, seq ${message.seq}, ${message.createdAt}] ${message.role === 'user' ? message.userId : message.role}: ${message.content}${message.archived ? ' (archived)' : ''}`,
  );
  lines.push(
    page.nextAfterSeq === null
      ? '(end of the conversation)'
      : `(more: afterSeq ${page.nextAfterSeq})`,
  );
  return lines.join('\n');
}

export function renderProfile(profile: UserProfile): string {
  const lines = [`Profile of user ${profile.userId} (built ${profile.builtAt}):`];
  const titles: Array<[keyof UserProfile['sections'], string]> = [
    ['facts', 'Facts'],
    ['preferences', 'Preferences'],
    ['decisions', 'Decisions'],
    ['openItems', 'Open items'],
  ];
  for (const [key, title] of titles) {
    const items = profile.sections[key];
    if (items.length === 0) continue;
    lines.push('', `${title}:`);
    for (const item of items) lines.push(`- ${item.text} [${item.conversations.join(', ')}]`);
  }
  if (lines.length === 1) lines.push('Nothing known about this user yet.');
  return lines.join('\n');
}
