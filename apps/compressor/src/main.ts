import './instrument';
import { readCompressionSettings } from '@memory/lifecycle';
import { main } from '@memory/runtime';
import { CompressorModule } from './compressor.module';

main({
  name: 'compressor',
  settings: readCompressionSettings,
  module: (config, settings) => CompressorModule.forRoot(config, settings),
});
