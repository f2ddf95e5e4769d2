import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

/**
 * One owner per table (docs/architecture.md, "Persistence: one owner per table"): the SQL of a
 * table, and TypeORM repository or query builder use of its entity, lives only in the file of
 * the repository class that owns it. A statement that names several tables (a join, a CTE, a
 * subquery) lives with the owner of its main table, so it is accepted in the owner of any table
 * it names. The table list comes from the migrations (and the entities), so a new table fails
 * this test until it is given an owner here. One file is exempt, the ingest benchmark's naive
 * baseline (BASELINE below).
 */

const ROOT = resolve(__dirname, '..');
const MIGRATIONS = 'libs/persistence/src/migrations';
const ENTITIES = 'libs/persistence/src/entities';
const SCANNED = ['apps', 'libs', 'deploy', 'bench'];
const EXTENSIONS = ['.ts', '.mjs'];

/** Each table's owner: the repository class and the one file that holds it. */
/**
 * Each table's owner: the repository class and the file that holds it; `statements`, a second
 * file of the owner's own with its longer statements.
 */
const OWNERS: Record<string, { owner: string; file: string; statements?: string }> = {
  conversations: {
    owner: 'ConversationRepository',
    file: 'libs/persistence/src/repositories/conversation.repository.ts',
  },
  messages: {
    owner: 'MessageRepository',
    file: 'libs/persistence/src/repositories/message.repository.ts',
  },
  api_keys: { owner: 'ApiKeyStore', file: 'libs/auth/src/api-key.store.ts' },
  tenant_jwt_keys: { owner: 'JwtKeyStore', file: 'libs/auth/src/jwt-key.store.ts' },
  webhooks: {
    owner: 'WebhookRepository',
    file: 'libs/persistence/src/repositories/webhook.repository.ts',
  },
  webhook_deliveries: {
    owner: 'WebhookRepository',
    file: 'libs/persistence/src/repositories/webhook.repository.ts',
  },
  conversation_summaries: {
    owner: 'SummaryRepository',
    file: 'libs/persistence/src/repositories/summary.repository.ts',
    statements: 'libs/persistence/src/repositories/summary.statements.ts',
  },
  summary_versions: {
    owner: 'SummaryVersionRepository',
    file: 'libs/persistence/src/repositories/summary-version.repository.ts',
  },
  summary_backfills: {
    owner: 'BackfillRunStore',
    file: 'libs/summarization/src/backfill-run.store.ts',
  },
  summary_compressions: {
    owner: 'CompressionStore',
    file: 'libs/lifecycle/src/compression-store.ts',
  },
  conversation_archives: {
    owner: 'ArchiveRepository',
    file: 'libs/lifecycle/src/retention/archive.repository.ts',
  },
  archived_message_ids: {
    owner: 'ArchiveRepository',
    file: 'libs/lifecycle/src/retention/archive.repository.ts',
  },
  erasures: {
    owner: 'ErasureRepository',
    file: 'libs/lifecycle/src/retention/erasure.repository.ts',
  },
  conversation_reads: {
    owner: 'ReadRecorder',
    file: 'libs/persistence/src/repositories/read-recorder.ts',
  },
  lifecycle_outbox: {
    owner: 'LifecycleOutbox',
    file: 'libs/lifecycle/src/retention/lifecycle-outbox.ts',
  },
  user_profiles: {
    owner: 'UserProfileRepository',
    file: 'libs/persistence/src/repositories/user-profile.repository.ts',
  },
  user_rollups: {
    owner: 'UserRollupRepository',
    file: 'libs/persistence/src/repositories/user-rollup.repository.ts',
  },
};

/**
 * The one file outside the owners that may hold SQL for their tables. The ingest benchmark's
 * naive baseline (one transaction per message: a seen-check, a counter upsert and an insert
 * over a plain pg.Client) is the design the product is measured against, not a second owner of
 * the table: its cost is the figure the pipeline is compared with, so it keeps its own SQL
 * rather than going through the owners. The exemption must stay true: the test fails when the
 * file is gone or holds no SQL any more, so it cannot go stale silently.
 */
const BASELINE = {
  file: 'bench/lib/naive.ts',
  reason: 'the naive per-message ingest baseline the ingest benchmark compares the product against',
};

interface Literal {
  text: string;
  line: number;
}

interface Finding {
  file: string;
  line: number;
  tables: string[];
  /** A table named through an interpolation: no owner can be checked. */
  dynamic?: boolean;
}

const SQL_KEYWORDS = ['FROM', 'JOIN', 'INTO', 'UPDATE', 'TABLE', 'TRUNCATE'];

function tablesFromMigrations(): string[] {
  const tables = new Set<string>();
  for (const name of readdirSync(join(ROOT, MIGRATIONS)).filter((n) => n.endsWith('.ts'))) {
    const text = readFileSync(join(ROOT, MIGRATIONS, name), 'utf8');
    for (const match of text.matchAll(/CREATE TABLE\s+(?:IF NOT EXISTS\s+)?"?(\w+)"?/gi))
      tables.add(match[1]);
  }
  return [...tables].sort();
}

/** Entity class name -> table, from `@Entity({ name: '...' }) export class X`. */
function entityTables(): Map<string, string> {
  const entities = new Map<string, string>();
  for (const name of readdirSync(join(ROOT, ENTITIES)).filter((n) => n.endsWith('.ts'))) {
    const text = readFileSync(join(ROOT, ENTITIES, name), 'utf8');
    for (const match of text.matchAll(/@Entity\(\{\s*name:\s*'(\w+)'[\s\S]*?export class (\w+)/g))
      entities.set(match[2], match[1]);
  }
  return entities;
}

function sourceFiles(dir: string): string[] {
  const absolute = join(ROOT, dir);
  if (!existsSync(absolute)) return [];
  const files: string[] = [];
  for (const entry of readdirSync(absolute)) {
    if (entry === 'node_modules' || entry.startsWith('.')) continue;
    const path = join(dir, entry);
    if (statSync(join(ROOT, path)).isDirectory()) files.push(...sourceFiles(path));
    else if (EXTENSIONS.some((ext) => entry.endsWith(ext))) files.push(path);
  }
  return files;
}

function exempt(file: string): boolean {
  return file.startsWith(`${MIGRATIONS}/`) || file.endsWith('.spec.ts') || file.endsWith('.d.ts');
}

/**
 * The string and template literals of a source file (an interpolation becomes `${}`), and the
 * code outside them and outside comments (literals blanked), keeping line numbers.
 */
export function scan(source: string): { literals: Literal[]; code: string } {
  const literals: Literal[] = [];
  let code = '';
  let line = 1;
  let i = 0;
  let lastSignificant = '';
  const advance = (to: number, keep: boolean): void => {
    for (let k = i; k < to; k++) {
      const c = source[k];
      if (c === '\n') line++;
      code += keep || c === '\n' ? c : ' ';
    }
    i = to;
  };
  const readQuoted = (quote: string): void => {
    const start = line;
    let j = i + 1;
    let text = '';
    while (j < source.length && source[j] !== quote && source[j] !== '\n') {
      if (source[j] === '\\') {
        text += source[j + 1] ?? '';
        j += 2;
        continue;
      }
      text += source[j++];
    }
    literals.push({ text, line: start });
    advance(Math.min(j + 1, source.length), false);
  };
  const readTemplate = (): void => {
    const start = line;
    let j = i + 1;
    let text = '';
    while (j < source.length && source[j] !== '`') {
      if (source[j] === '\\') {
        text += source[j + 1] ?? '';
        j += 2;
      } else if (source[j] === '$' && source[j + 1] === '{') {
        let depth = 1;
        j += 2;
        while (j < source.length && depth > 0) {
          if (source[j] === '{') depth++;
          else if (source[j] === '}') depth--;
          j++;
        }
        text += '${}';
      } else text += source[j++];
    }
    literals.push({ text, line: start });
    advance(Math.min(j + 1, source.length), false);
  };
  while (i < source.length) {
    const c = source[i];
    const next = source[i + 1];
    if (c === '/' && next === '/') {
      const end = source.indexOf('\n', i);
      advance(end === -1 ? source.length : end, false);
    } else if (c === '/' && next === '*') {
      const end = source.indexOf('*/', i + 2);
      advance(end === -1 ? source.length : end + 2, false);
    } else if (c === '/' && (lastSignificant === '' || '(,=:[!&|?{};'.includes(lastSignificant))) {
      // A regular expression literal: skip it, its quotes are not strings.
      let j = i + 1;
      let inClass = false;
      while (j < source.length && source[j] !== '\n') {
        if (source[j] === '\\') j++;
        else if (source[j] === '[') inClass = true;
        else if (source[j] === ']') inClass = false;
        else if (source[j] === '/' && !inClass) break;
        j++;
      }
      advance(j + 1, true);
      lastSignificant = '/';
    } else if (c === "'" || c === '"') {
      readQuoted(c);
      lastSignificant = 'x';
    } else if (c === '`') {
      readTemplate();
      lastSignificant = 'x';
    } else {
      if (!/\s/.test(c)) lastSignificant = c;
      advance(i + 1, true);
    }
  }
  return { literals, code };
}

function looksLikeSql(text: string): boolean {
  return /^\s*(?:select|insert|update|delete|with|truncate)\b/i.test(text);
}

/** The known tables a literal names as SQL, and whether it names one by interpolation. */
export function tablesNamed(
  text: string,
  tables: ReadonlySet<string>,
): { tables: string[]; dynamic: boolean } {
  const flags = looksLikeSql(text) ? 'gi' : 'g';
  const keywords = SQL_KEYWORDS.join('|');
  const named = new Set<string>();
  const pattern = new RegExp(`\\b(?:${keywords})\\s+(?:ONLY\\s+)?"?(\\w+)"?`, flags);
  for (const match of text.matchAll(pattern))
    if (tables.has(match[1].toLowerCase())) named.add(match[1].toLowerCase());
  const dynamic =
    new RegExp(`\\b(?:${keywords})\\s+\\$\\{\\}`, flags).test(text) &&
    /\b(?:SELECT|INSERT|UPDATE|DELETE|RETURNING|WHERE)\b/i.test(text);
  return { tables: [...named], dynamic };
}

function findings(file: string, tables: ReadonlySet<string>, entities: Map<string, string>) {
  const source = readFileSync(join(ROOT, file), 'utf8');
  const { literals, code } = scan(source);
  const found: Finding[] = [];
  for (const literal of literals) {
    const named = tablesNamed(literal.text, tables);
    if (named.tables.length > 0 || named.dynamic)
      found.push({ file, line: literal.line, tables: named.tables, dynamic: named.dynamic });
  }
  const lines = code.split('\n');
  lines.forEach((text, index) => {
    for (const match of text.matchAll(/\(\s*(\w+)\b/g)) {
      const table = entities.get(match[1]);
      if (table) found.push({ file, line: index + 1, tables: [table] });
    }
  });
  return found;
}

function ownerFiles(): Set<string> {
  return new Set(
    Object.values(OWNERS).flatMap((owner) => [
      owner.file,
      ...(owner.statements ? [owner.statements] : []),
    ]),
  );
}

describe('SQL owners', () => {
  const tables = tablesFromMigrations();
  const tableSet = new Set(tables);
  const entities = entityTables();
  const files = SCANNED.flatMap(sourceFiles).filter((file) => !exempt(file));

  it('reads the tables from the migrations and the entities from their files', () => {
    expect(tables).toEqual(expect.arrayContaining(['conversations', 'messages', 'api_keys']));
    expect([...entities.values()].every((table) => tableSet.has(table))).toBe(true);
  });

  it('gives every table exactly one owner, in a file that exists', () => {
    expect(Object.keys(OWNERS).sort()).toEqual(tables);
    for (const { owner, file, statements } of Object.values(OWNERS)) {
      expect(existsSync(join(ROOT, file))).toBe(true);
      if (statements) expect(existsSync(join(ROOT, statements))).toBe(true);
      expect(readFileSync(join(ROOT, file), 'utf8')).toMatch(new RegExp(`class ${owner}\\b`));
    }
  });

  it('finds SQL for a table only in its owner (a join: in the owner of a table it names)', () => {
    const problems: string[] = [];
    for (const file of files) {
      if (file === BASELINE.file) continue;
      for (const finding of findings(file, tableSet, entities)) {
        const where = `${relative(ROOT, join(ROOT, finding.file))}:${finding.line}`;
        if (finding.dynamic && !ownerFiles().has(file)) {
          problems.push(`${where}: a table named by interpolation; call the table's owner`);
          continue;
        }
        if (
          finding.tables.some(
            (table) => OWNERS[table]?.file === file || OWNERS[table]?.statements === file,
          )
        )
          continue;
        for (const table of finding.tables) {
          const owner = OWNERS[table];
          problems.push(
            owner
              ? `${where}: SQL naming ${table}, which only ${owner.owner} (${owner.file}) may hold`
              : `${where}: SQL naming ${table}, which has no owner in test/sql-owners.spec.ts`,
          );
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it(`exempts only ${BASELINE.file}, ${BASELINE.reason}: it exists and holds SQL`, () => {
    expect(files).toContain(BASELINE.file);
    expect(findings(BASELINE.file, tableSet, entities)).not.toEqual([]);
  });
});

describe(scan.name, () => {
  it('separates literals from code and skips comments and regular expressions', () => {
    const { literals, code } = scan(
      "const a = /'/g; // 'FROM messages'\nq(`SELECT ${x} FROM messages`, 'b');",
    );
    expect(literals).toEqual([
      { text: 'SELECT ${} FROM messages', line: 2 },
      { text: 'b', line: 2 },
    ]);
    expect(code).not.toContain('messages');
  });

  it('tells SQL from prose and sees a table named by interpolation', () => {
    const known = new Set(['messages', 'conversations']);
    expect(tablesNamed('messages from conversations', known).tables).toEqual([]);
    expect(tablesNamed('select * from messages', known).tables).toEqual(['messages']);
    expect(tablesNamed('DELETE FROM ${} WHERE id = $1', known).dynamic).toBe(true);
  });
});
