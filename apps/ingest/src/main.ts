import './instrument';
import { main } from '@memory/runtime';
import { IngestModule } from './ingest.module';

main({ name: 'ingest', module: (config) => IngestModule.forRoot(config) });
