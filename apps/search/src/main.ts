import './instrument';
import { DEFAULT_BODY_LIMIT_BYTES, main } from '@memory/runtime';
import { readSearchSettings } from '@memory/search-index';
import { CONTEXT_BODY_LIMIT, SEARCH_BODY_LIMIT } from './api/body-limits.constants';
import { SearchModule } from './search.module';

main({
  name: 'search',
  settings: readSearchSettings,
  module: (config, settings) => SearchModule.forRoot(config, settings),
  bodyLimits: {
    defaultBytes: DEFAULT_BODY_LIMIT_BYTES,
    routes: [SEARCH_BODY_LIMIT, CONTEXT_BODY_LIMIT],
  },
});
