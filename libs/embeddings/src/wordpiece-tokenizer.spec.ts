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
