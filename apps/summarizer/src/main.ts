import './instrument';
import { main } from '@memory/runtime';
import { SummarizerModule } from './summarizer.module';

main({ name: 'summarizer', module: (config) => SummarizerModule.forRoot(config) });
