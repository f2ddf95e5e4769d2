import { ArchiveDocument } from './archive-format';
import { MANIFEST_KEYS } from './archive-fields';
import { canonicalJson } from './archive-json';
import { canonicalMessageJson, sortBySeq } from './archive-messages';

/**
 * The document as JSON text a person can read with `zcat | less`: the manifest first, one
 * field per line, then the messages in seq order, one per line (newlines inside a message are
 * escaped by JSON, so a line is always exactly one message). Messages are in canonical form,
 * so the file's text is the same whichever process wrote it.
 */
export function serializeDocument(document: ArchiveDocument): string {
  const manifestLines = MANIFEST_KEYS.map(
    (key) => `    ${JSON.stringify(key)}: ${canonicalJson(document.manifest[key])}`,
  );
  const messageLines = sortBySeq(document.messages).map(
    (message) => `    ${canonicalMessageJson(message)}`,
  );
  return [
    '{',
    '  "manifest": {',
    manifestLines.join(',\n'),
    '  },',
    '  "messages": [',
    messageLines.join(',\n'),
    '  ]',
    '}',
    '',
  ].join('\n');
}
