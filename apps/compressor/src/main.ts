import './instrument';
import { main } from '@memory/runtime';
import { CompressorModule } from './compressor.module';

main({ name: 'compressor', module: (config) => CompressorModule.forRoot(config) });
