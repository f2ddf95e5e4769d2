import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { WordPieceTokenizer } from './wordpiece-tokenizer';

// A tokenizer.json in the shape of BERT's (bge-small-en-v1.5, all-MiniLM-L6-v2), with a tiny
// vocabulary so that every expected id can be read off below.
const VOCAB = [
  '[PAD]',
  '[UNK]',
  '[CLS]',
  '[SEP]',
  '[MASK]',
  'un',
  '##aff',
  '##able',
  'hello',
  'world',
  ',',
  '!',
  '?',
  'cafe',
  'naive',
  '中',
  '文',
  'σ',
  '##σ',
  'ο',
  '##ο',
  '$',
  '1',
  '##0',
  'a',
  '##a',
];
const id = (token: string): number => VOCAB.indexOf(token);

function tokenizerJson(overrides: Record<string, unknown> = {}): unknown {
  return {
    added_tokens: ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'].map((content) => ({
      id: id(content),
      content,
      special: true,
    })),
    normalizer: {
      type: 'BertNormalizer',
      clean_text: true,
      handle_chinese_chars: true,
      strip_accents: null,
      lowercase: true,
    },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    model: {
      type: 'WordPiece',
      unk_token: '[UNK]',
      continuing_subword_prefix: '##',
      max_input_chars_per_word: 100,
      vocab: Object.fromEntries(VOCAB.map((token, index) => [token, index])),
    },
    ...overrides,
  };
}

describe('WordPieceTokenizer', () => {
  const tokenizer = WordPieceTokenizer.fromJson(tokenizerJson());

  it('wraps the pieces in [CLS] and [SEP]', () => {
    expect(tokenizer.encode('Hello world', 512)).toEqual([
      id('[CLS]'),
      id('hello'),
      id('world'),
      id('[SEP]'),
    ]);
  });

  it('splits a word into the longest pieces the vocabulary has', () => {
    expect(tokenizer.tokenize('unaffable')).toEqual(['un', '##aff', '##able']);
  });

  it('makes a word it cannot split, or one of over 100 characters, a single [UNK]', () => {
    expect(tokenizer.tokenize('unaffablex hello')).toEqual(['[UNK]', 'hello']);
    expect(tokenizer.tokenize('a'.repeat(100))).toHaveLength(100);
    expect(tokenizer.tokenize(`${'a'.repeat(101)} hello`)).toEqual(['[UNK]', 'hello']);
  });

  it('lowercases, strips accents and isolates punctuation and symbols', () => {
    expect(tokenizer.tokenize('HÉLLO,wörld! Café naïve?')).toEqual([
      'hello',
      ',',
      'world',
      '!',
      'cafe',
      'naive',
      '?',
    ]);
    expect(tokenizer.tokenize('$10')).toEqual(['$', '1', '##0']);
  });

  it('drops control characters and treats every whitespace as a separator', () => {
    expect(tokenizer.tokenize('hel\u0000lo wor\u200bld\ufffd')).toEqual(['hello', 'world']);
    expect(tokenizer.tokenize('hello\t\n\u00a0\u3000world\u0007')).toEqual(['hello', 'world']);
  });

  it('puts each CJK ideograph in a word of its own', () => {
    expect(tokenizer.tokenize('中文hello')).toEqual(['中', '文', 'hello']);
  });

  it('lowercases character by character, as the tokenizers library does (no final sigma)', () => {
    expect(tokenizer.tokenize('ΣΟΣ')).toEqual(['σ', '##ο', '##σ']);
  });

  it('takes the special tokens written in the text as they are', () => {
    expect(tokenizer.encode('hello [SEP] world', 512)).toEqual([
      id('[CLS]'),
      id('hello'),
      id('[SEP]'),
      id('world'),
      id('[SEP]'),
    ]);
  });

  it('cuts long texts to the limit, keeping [CLS] and [SEP]', () => {
    const ids = tokenizer.encode('hello world '.repeat(100), 7);
    expect(ids).toEqual([
      id('[CLS]'),
      id('hello'),
      id('world'),
      id('hello'),
      id('world'),
      id('hello'),
      id('[SEP]'),
    ]);
    expect(tokenizer.encode('', 7)).toEqual([id('[CLS]'), id('[SEP]')]);
  });

  it('refuses a tokenizer.json that is not BERT WordPiece', () => {
    expect(() => WordPieceTokenizer.fromJson({ model: { type: 'BPE', vocab: {} } })).toThrow(
      /expected a WordPiece model, found BPE/,
    );
    expect(() =>
      WordPieceTokenizer.fromJson(tokenizerJson({ normalizer: { type: 'NFKC' } })),
    ).toThrow(/unsupported normalizer NFKC/);
  });
});

// The default model's tokenizer.json cut down to the pieces these sentences need, each keeping
// its id in the full vocabulary (fixtures/wordpiece): greedy longest-match picks the same pieces.
describe("the tokenizer, with the default model's ids", () => {
  let tokenizer: WordPieceTokenizer;

  beforeAll(() => {
    const json: unknown = JSON.parse(
      readFileSync(resolve(__dirname, '../fixtures/wordpiece/tokenizer.json'), 'utf8'),
    );
    tokenizer = WordPieceTokenizer.fromJson(json);
  });

  // The ids Hugging Face's tokenizer (@huggingface/tokenizers 0.2.0) gives for this vocabulary.
  it.each([
    ['How do I reset my password?', [101, 2129, 2079, 1045, 25141, 2026, 20786, 1029, 102]],
    ['I forgot my login credentials', [101, 1045, 9471, 2026, 8833, 2378, 22496, 102]],
    ['The weather is sunny', [101, 1996, 4633, 2003, 11559, 102]],
    ['Héllo, Wörld! naïve café résumé', [101, 7592, 1010, 2088, 999, 15743, 7668, 13746, 102]],
    ['unaffable', [101, 14477, 20961, 3468, 102]],
  ])('encodes %j', (text, ids) => {
    expect(tokenizer.encode(text, 512)).toEqual(ids);
  });

  it('splits words it knows only in pieces', () => {
    expect(tokenizer.tokenize('I forgot my login')).toEqual(['i', 'forgot', 'my', 'log', '##in']);
    expect(tokenizer.tokenize("it's 3:45pm")).toEqual(['it', "'", 's', '3', ':', '45', '##pm']);
  });
});
