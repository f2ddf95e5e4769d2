import './instrument';
import { readArchiveRoot } from '@memory/lifecycle';
import { DEFAULT_BODY_LIMIT_BYTES, main } from '@memory/runtime';
import { MESSAGES_BODY_LIMIT } from './http/body-limits.constants';
import { IngestModule } from './ingest.module';
import { readIngestKeyMode } from './messages/key-mode';

main({
  name: 'ingest',
  // Archived messages are served from the archives retention writes (read-only here).
  settings: (read) => ({ archiveRoot: readArchiveRoot(read), keyMode: readIngestKeyMode(read) }),
  module: (config, settings) => IngestModule.forRoot(config, settings),
  bodyLimits: { defaultBytes: DEFAULT_BODY_LIMIT_BYTES, routes: [MESSAGES_BODY_LIMIT] },
});
