/**
 * The BERT WordPiece tokenizer of a Hugging Face `tokenizer.json` (BertNormalizer,
 * BertPreTokenizer, WordPiece model, [CLS] ... [SEP] template), as the `tokenizers` library runs
 * it: added tokens ([CLS], [SEP], ...) matched verbatim first; then clean-up (control characters
 * out, every whitespace a space), spaces around CJK ideographs, accents stripped (NFD, marks
 * dropped) and lower case; words split on whitespace with each punctuation character a word of
 * its own; each word split greedily into the longest pieces the vocabulary has ("##" marking a
 * continuation), or [UNK] when it cannot be.
 */

/** The parts of a tokenizer.json this tokenizer reads. */
interface TokenizerJson {
  added_tokens?: { id: number; content: string; special?: boolean }[];
  normalizer?: {
    type: string;
    clean_text?: boolean;
    handle_chinese_chars?: boolean;
    strip_accents?: boolean | null;
    lowercase?: boolean;
  } | null;
  pre_tokenizer?: { type: string } | null;
  model?: {
    type: string;
    vocab: Record<string, number>;
    unk_token: string;
    continuing_subword_prefix?: string;
    max_input_chars_per_word?: number;
  };
}

const CONTROL = /\p{C}/u;
const WHITESPACE = /\p{White_Space}/u;
/** Unicode punctuation plus the ASCII symbols BERT counts as punctuation ($, +, <, ^, `, |, ~...). */
const PUNCTUATION = /[\p{P}!-/:-@[-`{-~]/u;
const MARK = /\p{Mn}/gu;

export class WordPieceTokenizer {
  readonly clsId: number;
  readonly sepId: number;
  readonly padId: number;
  private readonly unkId: number;
  private readonly prefix: string;
  private readonly maxWordChars: number;
  private readonly lowercase: boolean;
  private readonly stripAccents: boolean;
  private readonly cleanText: boolean;
  private readonly chineseChars: boolean;
  private readonly addedTokens: ReadonlyMap<string, number>;
  private readonly addedPattern: RegExp | null;

  private constructor(
    private readonly vocab: ReadonlyMap<string, number>,
    json: TokenizerJson,
  ) {
    const model = json.model!;
    const normalizer = json.normalizer ?? undefined;
    this.lowercase = normalizer?.lowercase ?? false;
    // `null` means "as lowercase" in BertNormalizer.
    this.stripAccents = normalizer?.strip_accents ?? this.lowercase;
    this.cleanText = normalizer?.clean_text ?? false;
    this.chineseChars = normalizer?.handle_chinese_chars ?? false;
    this.prefix = model.continuing_subword_prefix ?? '##';
    this.maxWordChars = model.max_input_chars_per_word ?? 100;
    const added = new Map<string, number>();
    for (const token of json.added_tokens ?? []) added.set(token.content, token.id);
    this.addedTokens = added;
    this.addedPattern =
      added.size === 0
        ? null
        : new RegExp(
            [...added.keys()]
              .sort((a, b) => b.length - a.length)
              .map((content) => content.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
              .join('|'),
            'g',
          );
    this.unkId = this.idOf(model.unk_token);
    this.clsId = this.idOf('[CLS]');
    this.sepId = this.idOf('[SEP]');
    this.padId = this.idOf('[PAD]');
  }

  /** From the parsed contents of a tokenizer.json; refuses what is not a BERT WordPiece tokenizer. */
  static fromJson(parsed: unknown): WordPieceTokenizer {
    const json = parsed as TokenizerJson;
    const model = json?.model;
    if (!model || model.type !== 'WordPiece' || typeof model.vocab !== 'object') {
      throw new Error(
        `tokenizer: expected a WordPiece model, found ${String(model?.type ?? 'none')}`,
      );
    }
    if (json.normalizer && json.normalizer.type !== 'BertNormalizer') {
      throw new Error(`tokenizer: unsupported normalizer ${json.normalizer.type}`);
    }
    if (json.pre_tokenizer && json.pre_tokenizer.type !== 'BertPreTokenizer') {
      throw new Error(`tokenizer: unsupported pre-tokenizer ${json.pre_tokenizer.type}`);
    }
    return new WordPieceTokenizer(new Map(Object.entries(model.vocab)), json);
  }

  /**
   * Token ids as the model takes them: [CLS], the text's pieces and [SEP], the pieces cut so
   * that the whole is at most `maxTokens` long.
   */
  encode(text: string, maxTokens: number): number[] {
    if (maxTokens < 2) throw new Error('tokenizer: maxTokens must be at least 2');
    const ids = this.pieceIds(text, maxTokens - 2);
    return [this.clsId, ...ids, this.sepId];
  }

  /** The text's pieces, without [CLS]/[SEP] (for inspection and tests). */
  tokenize(text: string): string[] {
    const byId = new Map<number, string>();
    for (const [token, id] of this.vocab) byId.set(id, token);
    for (const [token, id] of this.addedTokens) byId.set(id, token);
    return this.pieceIds(text, Number.MAX_SAFE_INTEGER).map((id) => byId.get(id) ?? '?');
  }

  private pieceIds(text: string, limit: number): number[] {
    const ids: number[] = [];
    const add = (id: number): boolean => {
      ids.push(id);
      return ids.length < limit;
    };
    if (limit <= 0) return ids;
    let rest = 0;
    for (const match of this.addedPattern ? text.matchAll(this.addedPattern) : []) {
      if (!this.plainIds(text.slice(rest, match.index), add)) return ids;
      if (!add(this.addedTokens.get(match[0])!)) return ids;
      rest = match.index + match[0].length;
    }
    this.plainIds(text.slice(rest), add);
    return ids;
  }

  /** Feeds the ids of a text without added tokens to `add`; false once `add` wants no more. */
  private plainIds(text: string, add: (id: number) => boolean): boolean {
    for (const word of this.words(this.normalize(text))) {
      for (const id of this.wordIds(word)) if (!add(id)) return false;
    }
    return true;
  }

  private normalize(text: string): string {
    let out = text;
    if (this.cleanText) {
      let cleaned = '';
      for (const char of out) {
        const code = char.codePointAt(0)!;
        if (code === 0 || code === 0xfffd) continue;
        if (char === '\t' || char === '\n' || char === '\r') cleaned += ' ';
        else if (CONTROL.test(char)) continue;
        else cleaned += WHITESPACE.test(char) ? ' ' : char;
      }
      out = cleaned;
    }
    if (this.chineseChars) {
      let spaced = '';
      for (const char of out) spaced += isCjk(char.codePointAt(0)!) ? ` ${char} ` : char;
      out = spaced;
    }
    if (this.stripAccents) out = out.normalize('NFD').replace(MARK, '');
    // Character by character, as `tokenizers` does: no final-sigma rule.
    if (this.lowercase) out = out.replace(/\u03a3/g, '\u03c3').toLowerCase();
    return out;
  }

  private *words(text: string): Generator<string> {
    let word = '';
    for (const char of text) {
      if (WHITESPACE.test(char)) {
        if (word) yield word;
        word = '';
      } else if (PUNCTUATION.test(char)) {
        if (word) yield word;
        yield char;
        word = '';
      } else word += char;
    }
    if (word) yield word;
  }

  private wordIds(word: string): number[] {
    const chars = Array.from(word);
    if (chars.length > this.maxWordChars) return [this.unkId];
    const ids: number[] = [];
    let start = 0;
    while (start < chars.length) {
      let end = chars.length;
      let found: number | undefined;
      while (end > start) {
        const piece = chars.slice(start, end).join('');
        found = this.vocab.get(start > 0 ? this.prefix + piece : piece);
        if (found !== undefined) break;
        end -= 1;
      }
      if (found === undefined) return [this.unkId];
      ids.push(found);
      start = end;
    }
    return ids;
  }

  private idOf(token: string): number {
    const id = this.addedTokens.get(token) ?? this.vocab.get(token);
    if (id === undefined) throw new Error(`tokenizer: the vocabulary has no ${token}`);
    return id;
  }
}

/** The CJK ideograph blocks BERT puts spaces around (not Hangul, Hiragana or Katakana). */
function isCjk(code: number): boolean {
  return (
    (code >= 0x4e00 && code <= 0x9fff) ||
    (code >= 0x3400 && code <= 0x4dbf) ||
    (code >= 0x20000 && code <= 0x2a6df) ||
    (code >= 0x2a700 && code <= 0x2b73f) ||
    (code >= 0x2b740 && code <= 0x2b81f) ||
    (code >= 0x2b820 && code <= 0x2ceaf) ||
    (code >= 0xf900 && code <= 0xfaff) ||
    (code >= 0x2f800 && code <= 0x2fa1f)
  );
}
