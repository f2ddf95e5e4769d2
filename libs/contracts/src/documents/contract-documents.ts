import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { asyncApiDocument } from './asyncapi';
import {
  chatMessageJsonSchema,
  memoryMessageJsonSchema,
  memorySummaryJsonSchema,
} from './json-schemas';

/** Folder of the generated documents, relative to the repository root. */
export const CONTRACTS_DOCS_DIR = 'docs/contracts';

/** Rewrites every file of `CONTRACTS_DOCS_DIR` from the contracts in code. */
export const REGENERATE_COMMAND =
  'npm run build --silent && node dist/libs/contracts/src/documents/write-documents.main.js';

export interface ContractDocument {
  /** File name inside `CONTRACTS_DOCS_DIR`. */
  file: string;
  format: 'json' | 'yaml';
  content: unknown;
}

/** The documents as they should be now, generated from the code. */
export function contractDocuments(): ContractDocument[] {
  return [
    { file: 'chat.message.v1.schema.json', format: 'json', content: chatMessageJsonSchema() },
    { file: 'memory.message.v1.schema.json', format: 'json', content: memoryMessageJsonSchema() },
    { file: 'memory.summary.v1.schema.json', format: 'json', content: memorySummaryJsonSchema() },
    { file: 'asyncapi.yaml', format: 'yaml', content: asyncApiDocument() },
  ];
}

/** The nearest folder above `from` with a package.json: the repository, from src or dist. */
export function repositoryRoot(from: string = __dirname): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no package.json above ${from}`);
  }
}
