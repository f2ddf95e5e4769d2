import { escapeHtml, snippetOf, toPassageOnlyResult, toResult } from './search-hit.mapper';
import { SNIPPET_LENGTH } from './search.constants';

describe(snippetOf.name, () => {
  it('joins the highlighted fragments as OpenSearch encoded them', () => {
    expect(snippetOf('ignored', ['a <em>dentist</em> visit', 'on <em>Friday</em>'])).toBe(
      'a <em>dentist</em> visit … on <em>Friday</em>',
    );
  });

  it('takes the escaped start of the text when nothing was highlighted', () => {
    expect(snippetOf('<script>alert("x")</script>', undefined)).toBe(
      '&lt;script&gt;alert(&quot;x&quot;)&lt;&#x2F;script&gt;',
    );
    expect(snippetOf('short', [])).toBe('short');
  });

  it('cuts a long text at a word boundary', () => {
    const text = 'word '.repeat(100);
    const snippet = snippetOf(text, undefined);
    expect(snippet.endsWith('word …')).toBe(true);
    expect(snippet.length).toBeLessThanOrEqual(SNIPPET_LENGTH + 2);
  });
});

describe(escapeHtml.name, () => {
  it('escapes what the html highlight encoder escapes', () => {
    expect(escapeHtml(`&<>"'/ ok`)).toBe('&amp;&lt;&gt;&quot;&#x27;&#x2F; ok');
  });
});

describe(toResult.name, () => {
  it('shows the first key points and the freshness of the summary', () => {
    const result = toResult(
      {
        _id: 't/c',
        _source: {
          conversationId: 'c',
          userId: 'u',
          tier: 'brief',
          text: 'text',
          context: 'context',
          keyPoints: ['1', '2', '3', '4', '5'],
          throughSeq: 9,
          summaryUpdatedAt: '2026-05-01T00:00:00.000Z',
          indexedAt: '2026-05-01T00:00:01.000Z',
          version: 4,
          messageCount: 9,
          firstMessageAt: null,
          lastMessageAt: null,
        },
        highlight: { keyPoints: ['<em>2</em>'] },
      },
      0.5,
    );
    expect(result).toEqual({
      conversationId: 'c',
      userId: 'u',
      tier: 'brief',
      score: 0.5,
      snippet: 'text',
      highlights: { keyPoints: ['<em>2</em>'] },
      summary: { context: 'context', keyPoints: ['1', '2', '3'] },
      firstMessageAt: null,
      lastMessageAt: null,
      messageCount: 9,
      freshness: {
        throughSeq: 9,
        summaryUpdatedAt: '2026-05-01T00:00:00.000Z',
        indexedAt: '2026-05-01T00:00:01.000Z',
      },
      version: 4,
      evidenceSource: 'messages',
      evidence: [],
    });
  });
});

describe(toPassageOnlyResult.name, () => {
  it('leaves the summary fields null and takes the snippet from the best evidence', () => {
    const evidence = {
      seqFrom: 3,
      seqTo: 6,
      messageIds: ['m3', 'm4'],
      speakers: ['u'],
      at: '2026-05-01T00:00:00.000Z',
      text: 'u: <dentist>',
      highlights: [],
      score: 1,
      matchedBy: ['keyword' as const],
    };
    expect(
      toPassageOnlyResult('c', 'u', 0.4, { evidenceSource: 'messages', evidence: [evidence] }),
    ).toEqual({
      conversationId: 'c',
      userId: 'u',
      tier: null,
      score: 0.4,
      snippet: 'u: &lt;dentist&gt;',
      highlights: {},
      summary: null,
      firstMessageAt: null,
      lastMessageAt: null,
      messageCount: null,
      freshness: null,
      version: null,
      evidenceSource: 'messages',
      evidence: [evidence],
    });
  });
});
