import './instrument';
import { main } from '@memory/runtime';
import { readSearchSettings } from '@memory/search-index';
import { SearchModule } from './search.module';

main({
  name: 'search',
  settings: readSearchSettings,
  module: (config, settings) => SearchModule.forRoot(config, settings),
});
