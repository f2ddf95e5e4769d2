import { mkdir, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { format, resolveConfig } from 'prettier';
import { stringify } from 'yaml';
import { CONTRACTS_DOCS_DIR, contractDocuments, repositoryRoot } from './contract-documents';

/**
 * Writes the JSON Schemas and the AsyncAPI document to docs/contracts, formatted with the
 * repository's Prettier settings. A development tool: it needs the dev dependencies `yaml` and
 * `prettier`, and no service imports it.
 */
async function main(): Promise<void> {
  const root = repositoryRoot();
  const dir = join(root, CONTRACTS_DOCS_DIR);
  await mkdir(dir, { recursive: true });
  for (const document of contractDocuments()) {
    const file = join(dir, document.file);
    const text =
      document.format === 'json'
        ? JSON.stringify(document.content, null, 2)
        : stringify(document.content, { aliasDuplicateObjects: false, lineWidth: 0 });
    const options = (await resolveConfig(file)) ?? {};
    await writeFile(file, await format(text, { ...options, filepath: file }));
    console.log(`wrote ${relative(root, file)}`);
  }
}

main().catch((error: unknown) => {
  console.error('writing the contract documents failed:', error);
  process.exit(1);
});
