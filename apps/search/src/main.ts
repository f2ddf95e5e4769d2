import './instrument';
import { main } from '@memory/runtime';
import { SearchModule } from './search.module';

main({ name: 'search', module: (config) => SearchModule.forRoot(config) });
