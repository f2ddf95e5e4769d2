import { mkdir, mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import {
  ARCHIVE_FORMAT,
  ArchiveDocument,
  ArchivedMessage,
  archiveNameSegment,
  archiveRelativePath,
  ArchiveVerificationError,
  buildManifest,
  canonicalMessagesJson,
  decodePathSegment,
  encodePathSegment,
  listArchives,
  mergeMessages,
  readArchive,
  removeArchive,
  removeStrayTempFiles,
  verifyArchiveDocument,
  writeArchive,
} from '.';

const ARCHIVED_AT = new Date('2025-02-01T12:00:00.000Z');

function message(seq: number, overrides: Partial<ArchivedMessage> = {}): ArchivedMessage {
  return {
    messageId: `m-${seq}`,
    seq,
    userId: seq % 2 === 0 ? 'bob' : 'alice',
    role: seq % 2 === 0 ? 'assistant' : 'user',
    content: `message number ${seq}`,
    metadata: null,
    createdAt: new Date(Date.UTC(2024, 2, 1, 10, seq)).toISOString(),
    ingestedAt: new Date(Date.UTC(2024, 2, 1, 11, seq)).toISOString(),
    ...overrides,
  };
}

function documentOf(messages: ArchivedMessage[], revision = 1): ArchiveDocument {
  return {
    manifest: buildManifest('acme', 'conv-1', messages, revision, ARCHIVED_AT),
    messages,
  };
}

const MESSAGES: ArchivedMessage[] = [
  message(1, {
    content: 'Hello,\nworld — "quoted" \\ tab\t and emoji 🎉',
    metadata: { b: 2, a: { z: [1, 'two', null, true], y: 'x' }, '10': 'ten', '2': 'two' },
  }),
  message(2, { content: '' }),
  message(3, { metadata: {} }),
];

/** Every file under `directory`, hidden ones included, as `/`-joined relative paths. */
async function allFiles(directory: string, prefix = ''): Promise<string[]> {
  const entries = await readdir(directory, { withFileTypes: true });
  const nested = await Promise.all(
    entries.map(async (entry) => {
      const relative = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
      return entry.isDirectory()
        ? allFiles(join(directory, entry.name), relative)
        : Promise.resolve([relative]);
    }),
  );
  return nested.flat().sort();
}

async function collect(iterable: AsyncIterable<string>): Promise<string[]> {
  const items: string[] = [];
  for await (const item of iterable) {
    items.push(item);
  }
  return items;
}

/** The problems of the ArchiveVerificationError `promise` rejects with (fails otherwise). */
async function problemsOf(promise: Promise<unknown>): Promise<string[]> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(ArchiveVerificationError);
    return (error as ArchiveVerificationError).problems;
  }
  throw new Error('expected an ArchiveVerificationError, but the call succeeded');
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

let root: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'archive-file-spec-'));
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('path segments', () => {
  it.each([
    ['conv-1_A.b', 'conv-1_A.b'],
    ['a/b', 'a%2Fb'],
    ['..', '%2E.'],
    ['.', '%2E'],
    ['.hidden', '%2Ehidden'],
    ['a..b', 'a..b'],
    ['slack:T1:C2', 'slack%3AT1%3AC2'],
    ['with space', 'with%20space'],
    ['100%', '100%25'],
    ['back\\slash', 'back%5Cslash'],
    ['é', '%C3%A9'],
    ['日本', '%E6%97%A5%E6%9C%AC'],
    ['🎉', '%F0%9F%8E%89'],
    ['\uFEFFbom', '%EF%BB%BFbom'],
    ['nul\0', 'nul%00'],
  ])('encodes %j as %s and decodes it back', (id, segment) => {
    expect(encodePathSegment(id)).toBe(segment);
    expect(decodePathSegment(segment)).toBe(id);
  });

  it('refuses ids it cannot encode', () => {
    expect(() => encodePathSegment('')).toThrow(/empty id/);
    expect(() => encodePathSegment('bad\uD800')).toThrow(/unpaired surrogate/);
  });

  it.each([
    ['a/b', /holds '\/'/],
    ['%zz', /bad escape/],
    ['%2', /bad escape/],
    ['%2e', /canonical/],
    ['%41', /canonical/],
    ['.x', /canonical/],
    ['', /canonical/],
    ['%C3', /UTF-8/],
  ])('refuses to decode %j', (segment, message) => {
    expect(() => decodePathSegment(segment)).toThrow(message);
  });

  it('places an archive by tenant and the UTC month of the first message', () => {
    const lateMarchInBrazil = new Date('2024-03-31T23:30:00-03:00');
    expect(archiveRelativePath('acme', 'conv/1', lateMarchInBrazil)).toBe(
      'acme/2024/04/conv%2F1.json.gz',
    );
    expect(archiveRelativePath('..', '.', new Date('2024-01-05T00:00:00Z'))).toBe(
      '%2E./2024/01/%2E.json.gz',
    );
  });

  it('refuses invalid dates', () => {
    expect(() => archiveRelativePath('acme', 'c', new Date('nope'))).toThrow(/invalid date/);
  });

  it('keeps the plain name of a short lowercase id', () => {
    expect(archiveRelativePath('acme', 'c'.repeat(128), ARCHIVED_AT)).toBe(
      `acme/2025/02/${'c'.repeat(128)}.json.gz`,
    );
  });

  it('gives an id too long for a file name a bounded name: readable prefix and hash', () => {
    const long = ':'.repeat(128);
    const other = `${':'.repeat(127)}@`;
    const path = archiveRelativePath(long, long, ARCHIVED_AT);
    const [tenant, , , file] = path.split('/');
    expect(Buffer.byteLength(tenant)).toBeLessThanOrEqual(255);
    // The temp file adds 22 bytes to the archive's name; it must fit too.
    expect(Buffer.byteLength(file) + 22).toBeLessThanOrEqual(255);
    expect(file).toMatch(/^(%3a)+~[0-9a-f]{32}\.json\.gz$/);
    expect(archiveRelativePath(long, other, ARCHIVED_AT)).not.toBe(path);
    expect(archiveRelativePath('acme', '日'.repeat(40), ARCHIVED_AT)).toMatch(
      /^acme\/2025\/02\/(%[0-9a-f]{2})+~[0-9a-f]{32}\.json\.gz$/,
    );
  });

  it('gives ids that differ only by letter case names that differ ignoring case', () => {
    const names = ['Conv-A', 'conv-a', 'CONV-A', 'Conv-a'].map((id) =>
      archiveRelativePath('Acme', id, ARCHIVED_AT).toLowerCase(),
    );
    expect(new Set(names).size).toBe(4);
    expect(archiveRelativePath('acme', 'conv-a', ARCHIVED_AT)).toBe('acme/2025/02/conv-a.json.gz');
    expect(archiveRelativePath('Acme', 'Conv-A', ARCHIVED_AT)).toMatch(
      /^acme~[0-9a-f]{32}\/2025\/02\/conv-a~[0-9a-f]{32}\.json\.gz$/,
    );
  });
});

describe(archiveNameSegment.name, () => {
  it('never cuts an escape in two', () => {
    for (let pad = 0; pad < 3; pad += 1) {
      const name = archiveNameSegment(`${'a'.repeat(pad)}${':'.repeat(100)}`, 80);
      expect(name.length).toBeLessThanOrEqual(80);
      expect(name.split('~')[0]).toMatch(/^a*(%3a)*$/);
    }
  });
});

describe(canonicalMessagesJson.name, () => {
  it('does not depend on message order or metadata key order', () => {
    const reordered = [
      message(3, { metadata: {} }),
      message(2, { content: '' }),
      message(1, {
        content: MESSAGES[0].content,
        metadata: { '2': 'two', a: { y: 'x', z: [1, 'two', null, true] }, '10': 'ten', b: 2 },
      }),
    ];
    expect(canonicalMessagesJson(reordered)).toBe(canonicalMessagesJson(MESSAGES));
  });

  it('writes fields in the fixed order and metadata keys sorted', () => {
    const json = canonicalMessagesJson([MESSAGES[0]]);
    expect(json.startsWith('[{"messageId":"m-1","seq":1,"userId":"alice","role":"user",')).toBe(
      true,
    );
    expect(json).toContain(
      '"metadata":{"10":"ten","2":"two","a":{"y":"x","z":[1,"two",null,true]},"b":2}',
    );
    expect(JSON.parse(json)).toEqual([MESSAGES[0]]);
  });
});

describe(buildManifest.name, () => {
  it('adds up the messages', () => {
    const early = message(4, { createdAt: '2024-02-01T00:00:00.000Z', userId: 'carol' });
    const manifest = buildManifest('acme', 'conv-1', [...MESSAGES, early], 2, ARCHIVED_AT);
    expect(manifest).toEqual({
      format: ARCHIVE_FORMAT,
      tenantId: 'acme',
      conversationId: 'conv-1',
      userIds: ['alice', 'bob', 'carol'],
      messageCount: 4,
      firstSeq: 1,
      lastSeq: 4,
      firstCreatedAt: '2024-02-01T00:00:00.000Z',
      lastCreatedAt: MESSAGES[2].createdAt,
      archivedAt: ARCHIVED_AT.toISOString(),
      revision: 2,
      contentSha256: createHash('sha256')
        .update(canonicalMessagesJson([...MESSAGES, early]))
        .digest('hex'),
    });
  });

  it('throws on no messages, duplicate seqs or messageIds, and bad input', () => {
    expect(() => buildManifest('acme', 'conv-1', [], 1, ARCHIVED_AT)).toThrow(/no messages/);
    expect(() =>
      buildManifest('acme', 'conv-1', [message(1), message(1, { messageId: 'x' })], 1, ARCHIVED_AT),
    ).toThrow(/duplicate seq 1/);
    expect(() =>
      buildManifest(
        'acme',
        'conv-1',
        [message(1), message(2, { messageId: 'm-1' })],
        1,
        ARCHIVED_AT,
      ),
    ).toThrow(/duplicate messageId 'm-1'/);
    expect(() => buildManifest('acme', 'conv-1', MESSAGES, 0, ARCHIVED_AT)).toThrow(/revision/);
    expect(() => buildManifest('acme', 'conv-1', MESSAGES, 1, new Date(NaN))).toThrow(/archivedAt/);
    const withDate = message(5, { metadata: { at: new Date() } });
    expect(() => buildManifest('acme', 'conv-1', [withDate], 1, ARCHIVED_AT)).toThrow(
      /metadata holds a value JSON cannot carry .* at '\.at'/,
    );
  });
});

describe(verifyArchiveDocument.name, () => {
  const valid = documentOf(MESSAGES);

  it('accepts a valid document', () => {
    expect(verifyArchiveDocument(valid)).toEqual([]);
  });

  it.each<[string, (document: ArchiveDocument) => unknown, RegExp]>([
    ['a wrong format', (d) => ({ ...d, manifest: { ...d.manifest, format: 'v0' } }), /format/],
    [
      'a wrong messageCount',
      (d) => ({ ...d, manifest: { ...d.manifest, messageCount: 4 } }),
      /manifest.messageCount is 4 but the archive holds 3/,
    ],
    [
      'a wrong firstSeq',
      (d) => ({ ...d, manifest: { ...d.manifest, firstSeq: 0 } }),
      /manifest.firstSeq is 0 but the lowest seq is 1/,
    ],
    [
      'a wrong lastSeq',
      (d) => ({ ...d, manifest: { ...d.manifest, lastSeq: 9 } }),
      /manifest.lastSeq is 9/,
    ],
    [
      'wrong userIds',
      (d) => ({ ...d, manifest: { ...d.manifest, userIds: ['alice'] } }),
      /manifest.userIds/,
    ],
    [
      'a wrong lastCreatedAt',
      (d) => ({ ...d, manifest: { ...d.manifest, lastCreatedAt: '2030-01-01T00:00:00Z' } }),
      /manifest.lastCreatedAt/,
    ],
    [
      'a wrong firstCreatedAt',
      (d) => ({ ...d, manifest: { ...d.manifest, firstCreatedAt: '2000-01-01T00:00:00Z' } }),
      /manifest.firstCreatedAt/,
    ],
    [
      'edited content',
      (d) => ({
        ...d,
        messages: [{ ...d.messages[0], content: 'changed' }, ...d.messages.slice(1)],
      }),
      /manifest.contentSha256 is .* but the messages hash to/,
    ],
    [
      'a duplicate seq',
      (d) => ({ ...d, messages: [...d.messages, { ...d.messages[0], messageId: 'other' }] }),
      /duplicate seq 1/,
    ],
    ['not an object', () => 'text', /document must be an object/],
    ['no manifest', (d) => ({ messages: d.messages }), /document.manifest is missing/],
    ['messages not a list', (d) => ({ ...d, messages: {} }), /messages must be a list/],
    ['no messages', (d) => ({ ...d, messages: [] }), /no messages/],
    [
      'a seq that is a string',
      (d) => ({ ...d, messages: [{ ...d.messages[0], seq: '1' }] }),
      /messages\[0\].seq must be a safe integer \(got "1"\)/,
    ],
    [
      'metadata that is a list',
      (d) => ({ ...d, messages: [{ ...d.messages[0], metadata: [] }] }),
      /messages\[0\].metadata must be null or a JSON object/,
    ],
    [
      'a bad timestamp',
      (d) => ({ ...d, messages: [{ ...d.messages[0], createdAt: 'yesterday' }] }),
      /messages\[0\].createdAt must be an ISO 8601 timestamp/,
    ],
    [
      'an unknown message field',
      (d) => ({ ...d, messages: [{ ...d.messages[0], extra: 1 }] }),
      /messages\[0\] has an unknown field 'extra'/,
    ],
    [
      'a missing message field',
      (d) => ({ ...d, messages: [{ ...d.messages[0], role: undefined }] }),
      /messages\[0\].role must be a non-empty string/,
    ],
    [
      'a bad contentSha256',
      (d) => ({ ...d, manifest: { ...d.manifest, contentSha256: 'ABC' } }),
      /manifest.contentSha256 must be 64 lowercase hex digits/,
    ],
  ])('reports %s', (_label, mutate, problem) => {
    const problems = verifyArchiveDocument(mutate(valid));
    expect(problems).toEqual(expect.arrayContaining([expect.stringMatching(problem)]));
  });
});

describe(mergeMessages.name, () => {
  it('unites by seq, sorted, keeping the existing copy of a message in both', () => {
    const replayed = message(2, { content: '', ingestedAt: '2025-01-01T00:00:00.000Z' });
    const merged = mergeMessages([MESSAGES[2], MESSAGES[0], MESSAGES[1]], [message(5), replayed]);
    expect(merged.map((m) => m.seq)).toEqual([1, 2, 3, 5]);
    expect(merged[1]).toBe(MESSAGES[1]);
  });

  it('throws when a seq would change its message', () => {
    expect(() => mergeMessages([message(1)], [message(1, { content: 'edited' })])).toThrow(
      /seq 1 .* differing in content/,
    );
    expect(() => mergeMessages([message(1)], [message(1, { messageId: 'other' })])).toThrow(
      /seq 1 is message 'm-1' in one list and 'other'/,
    );
  });

  it('throws when a messageId would move to another seq', () => {
    expect(() => mergeMessages([message(1)], [message(2, { messageId: 'm-1' })])).toThrow(
      /messageId 'm-1' is at seq 1 and at seq 2/,
    );
  });
});

describe('writing and reading', () => {
  const relativePath = 'acme/2024/03/conv-1.json.gz';

  it('round-trips the document exactly', async () => {
    const document = documentOf(MESSAGES);
    const written = await writeArchive(root, document, relativePath);
    const fileBytes = await readFile(join(root, relativePath));

    expect(written).toEqual({
      path: join(root, relativePath),
      relativePath,
      sha256: createHash('sha256').update(fileBytes).digest('hex'),
      bytes: fileBytes.length,
      manifest: document.manifest,
    });
    const read = await readArchive(root, relativePath, { sha256: written.sha256 });
    expect(read).toEqual({ document, sha256: written.sha256, bytes: written.bytes });
    expect(read.document.messages[0].content).toBe(MESSAGES[0].content);
    expect(read.document.messages[0].metadata).toEqual(MESSAGES[0].metadata);
  });

  it('writes gzip text with the manifest first and one message per line', async () => {
    const document = documentOf([MESSAGES[2], MESSAGES[0], MESSAGES[1]]);
    await writeArchive(root, document, relativePath);

    const text = gunzipSync(await readFile(join(root, relativePath))).toString('utf8');
    const lines = text.split('\n');
    expect(lines.slice(0, 3)).toEqual([
      '{',
      '  "manifest": {',
      `    "format": "${ARCHIVE_FORMAT}",`,
    ]);
    const messageLines = lines.filter((line) => line.includes('"messageId"'));
    expect(messageLines).toHaveLength(3);
    const parsed = messageLines.map((line): unknown => JSON.parse(line.trim().replace(/,$/, '')));
    expect(parsed).toEqual(MESSAGES);
    expect(JSON.parse(text)).toEqual({ manifest: document.manifest, messages: MESSAGES });
  });

  it('leaves no temp file after a write, and rewrites a later revision in place', async () => {
    await writeArchive(root, documentOf(MESSAGES), relativePath);
    const merged = mergeMessages(MESSAGES, [message(4)]);
    const second = await writeArchive(root, documentOf(merged, 2), relativePath);

    expect(await allFiles(root)).toEqual([relativePath]);
    const read = await readArchive(root, relativePath, { sha256: second.sha256 });
    expect(read.document.manifest.revision).toBe(2);
    expect(read.document.messages).toHaveLength(4);
  });

  it('leaves neither a final nor a temp file when beforeRename throws', async () => {
    const beforeRename = jest.fn(async () => {
      expect((await allFiles(join(root, 'acme/2024/03')))[0]).toMatch(
        /^\.conv-1\.json\.gz\.[0-9a-f]{16}\.tmp$/,
      );
      throw new Error('killed before rename');
    });
    await expect(
      writeArchive(root, documentOf(MESSAGES), relativePath, { beforeRename }),
    ).rejects.toThrow('killed before rename');

    expect(beforeRename).toHaveBeenCalledTimes(1);
    expect(await allFiles(root)).toEqual([]);
  });

  it('keeps the earlier revision when a rewrite fails before the rename', async () => {
    const first = await writeArchive(root, documentOf(MESSAGES), relativePath);
    const failing = async (): Promise<void> => Promise.reject(new Error('crash'));
    await expect(
      writeArchive(root, documentOf(mergeMessages(MESSAGES, [message(4)]), 2), relativePath, {
        beforeRename: failing,
      }),
    ).rejects.toThrow('crash');

    expect(await allFiles(root)).toEqual([relativePath]);
    const read = await readArchive(root, relativePath, { sha256: first.sha256 });
    expect(read.document.manifest.revision).toBe(1);
  });

  it('removes the temp file when the rename itself fails', async () => {
    await mkdir(join(root, relativePath), { recursive: true });
    await expect(writeArchive(root, documentOf(MESSAGES), relativePath)).rejects.toThrow();
    expect(await readdir(join(root, 'acme/2024/03'))).toEqual(['conv-1.json.gz']);
  });

  it('refuses to write a document that does not add up, touching nothing', async () => {
    const document = documentOf(MESSAGES);
    const wrong = { ...document, manifest: { ...document.manifest, messageCount: 2 } };
    const problems = await problemsOf(writeArchive(root, wrong, relativePath));
    expect(problems).toEqual([expect.stringMatching(/messageCount is 2/)]);
    expect(await readdir(root)).toEqual([]);
  });

  it('refuses paths that leave the root or are not archives', async () => {
    const document = documentOf(MESSAGES);
    await expect(writeArchive(root, document, '../escape.json.gz')).rejects.toThrow(
      /not a plain relative path/,
    );
    await expect(writeArchive(root, document, 'a//b.json.gz')).rejects.toThrow(
      /not a plain relative path/,
    );
    await expect(readArchive(root, '/etc/passwd')).rejects.toThrow(/not a plain relative path/);
    await expect(writeArchive(root, document, 'acme/conv-1.json')).rejects.toThrow(
      /must end with \.json\.gz/,
    );
  });
});

describe(readArchive.name, () => {
  const relativePath = 'acme/2024/03/conv-1.json.gz';
  const path = (): string => join(root, relativePath);

  /** Replaces the archive's file with the gzip of `text`. */
  async function overwriteText(text: string): Promise<void> {
    await writeFile(path(), gzipSync(Buffer.from(text, 'utf8')));
  }

  it('reports a corrupted byte', async () => {
    const written = await writeArchive(root, documentOf(MESSAGES), relativePath);
    const bytes = await readFile(path());
    const middle = Math.floor(bytes.length / 2);
    bytes[middle] = bytes[middle] ^ 0xff;
    await writeFile(path(), bytes);

    const problems = await problemsOf(readArchive(root, relativePath));
    expect(problems).toEqual([expect.stringMatching(/^not gzip: /)]);
    const withSha = await problemsOf(readArchive(root, relativePath, { sha256: written.sha256 }));
    expect(withSha).toEqual([
      expect.stringMatching(/^file sha256 is [0-9a-f]{64}, expected /),
      expect.stringMatching(/^not gzip: /),
    ]);
  });

  it('reports content edited behind the manifest', async () => {
    await writeArchive(root, documentOf(MESSAGES), relativePath);
    const text = gunzipSync(await readFile(path())).toString('utf8');
    await overwriteText(text.replace('message number 3', 'message number 4'));

    const problems = await problemsOf(readArchive(root, relativePath));
    expect(problems).toEqual([expect.stringMatching(/^manifest.contentSha256 is .* hash to /)]);
  });

  it('reports a file that differs from the expected sha256', async () => {
    await writeArchive(root, documentOf(MESSAGES), relativePath);
    const problems = await problemsOf(readArchive(root, relativePath, { sha256: '0'.repeat(64) }));
    expect(problems).toEqual([expect.stringMatching(/^file sha256 is .* expected 0{64}$/)]);
  });

  it('reports a missing file', async () => {
    const error = await readArchive(root, relativePath).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ArchiveVerificationError);
    expect(error).toMatchObject({ path: path(), problems: ['file is missing'] });
    expect((error as Error).message).toContain(path());
  });

  it('reports a file that is not gzip or not JSON', async () => {
    await mkdir(dirname(path()), { recursive: true });
    await writeFile(path(), 'plain text');
    expect(await problemsOf(readArchive(root, relativePath))).toEqual([
      expect.stringMatching(/^not gzip: /),
    ]);
    await overwriteText('{"manifest":');
    expect(await problemsOf(readArchive(root, relativePath))).toEqual([
      expect.stringMatching(/^not JSON: /),
    ]);
  });

  it('reports a wrong format string', async () => {
    await writeArchive(root, documentOf(MESSAGES), relativePath);
    const text = gunzipSync(await readFile(path())).toString('utf8');
    await overwriteText(text.replace(ARCHIVE_FORMAT, 'memory.archive.v0'));
    expect(await problemsOf(readArchive(root, relativePath))).toEqual([
      expect.stringMatching(/^manifest.format must be 'memory.archive.v1'/),
    ]);
  });
});

describe('listing and removing', () => {
  const paths = [
    'acme/2024/03/b.json.gz',
    'acme/2024/03/a.json.gz',
    'acme-2/2023/12/z.json.gz',
    'acme/2024/11/c.json.gz',
  ];

  async function writeAll(): Promise<void> {
    for (const relativePath of paths) {
      await writeArchive(root, documentOf(MESSAGES), relativePath);
    }
  }

  it('lists archives sorted, skipping temp and other files', async () => {
    await writeAll();
    await writeFile(join(root, 'acme/2024/03/.a.json.gz.0123456789abcdef.tmp'), 'partial');
    await writeFile(join(root, 'acme/2024/03/notes.txt'), 'not an archive');

    expect(await collect(listArchives(root))).toEqual([...paths].sort());
    expect([...paths].sort()).toEqual([
      'acme-2/2023/12/z.json.gz',
      'acme/2024/03/a.json.gz',
      'acme/2024/03/b.json.gz',
      'acme/2024/11/c.json.gz',
    ]);
  });

  it('lists nothing when the root does not exist', async () => {
    expect(await collect(listArchives(join(root, 'missing')))).toEqual([]);
  });

  it('removes an archive and the directories it leaves empty, never the root', async () => {
    await writeAll();
    expect(await removeArchive(root, 'acme/2024/11/c.json.gz')).toBe(true);
    expect(await exists(join(root, 'acme/2024/11'))).toBe(false);
    expect(await exists(join(root, 'acme/2024'))).toBe(true);

    expect(await removeArchive(root, 'acme-2/2023/12/z.json.gz')).toBe(true);
    expect(await exists(join(root, 'acme-2'))).toBe(false);

    expect(await removeArchive(root, 'acme/2024/03/a.json.gz')).toBe(true);
    expect(await removeArchive(root, 'acme/2024/03/b.json.gz')).toBe(true);
    expect(await readdir(root)).toEqual([]);
    expect(await exists(root)).toBe(true);
  });

  it('returns false for an archive that is not there', async () => {
    expect(await removeArchive(root, 'acme/2024/03/a.json.gz')).toBe(false);
    expect(await exists(root)).toBe(true);
  });

  it('removes stray temp files of killed writes, and only those', async () => {
    await writeAll();
    const strays = [
      'acme/2024/03/.a.json.gz.0123456789abcdef.tmp',
      'acme/2024/11/.c.json.gz.fedcba9876543210.tmp',
    ];
    for (const stray of strays) {
      await writeFile(join(root, stray), 'partial');
    }

    expect(await removeStrayTempFiles(root)).toBe(2);
    expect(await allFiles(root)).toEqual([...paths].sort());
    expect(await removeStrayTempFiles(root)).toBe(0);
    expect(await removeStrayTempFiles(join(root, 'missing'))).toBe(0);
  });

  it('leaves recent temp files alone when asked to', async () => {
    const old = join(root, 'acme/.old.json.gz.0000000000000000.tmp');
    const recent = join(root, 'acme/.new.json.gz.1111111111111111.tmp');
    await mkdir(join(root, 'acme'));
    await writeFile(old, 'partial');
    await writeFile(recent, 'partial');
    const hourAgo = new Date(Date.now() - 3_600_000);
    await utimes(old, hourAgo, hourAgo);

    expect(await removeStrayTempFiles(root, { olderThanMs: 60_000 })).toBe(1);
    expect(await allFiles(root)).toEqual(['acme/.new.json.gz.1111111111111111.tmp']);
  });
});
