import './instrument';
import { DEFAULT_BODY_LIMIT_BYTES, main } from '@memory/runtime';
import { MESSAGES_BODY_LIMIT } from './http/body-limits.constants';
import { IngestModule } from './ingest.module';

main({
  name: 'ingest',
  module: (config) => IngestModule.forRoot(config),
  bodyLimits: { defaultBytes: DEFAULT_BODY_LIMIT_BYTES, routes: [MESSAGES_BODY_LIMIT] },
});
