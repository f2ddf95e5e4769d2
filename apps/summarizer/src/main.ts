import './instrument';
import { main } from '@memory/runtime';
import { readSummarizationSettings } from '@memory/summarization';
import { SummarizerModule } from './summarizer.module';

main({
  name: 'summarizer',
  settings: readSummarizationSettings,
  module: (config, settings) => SummarizerModule.forRoot(config, settings),
});
