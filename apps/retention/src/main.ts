import './instrument';
import { main } from '@memory/runtime';
import { RetentionModule } from './retention.module';

main({ name: 'retention', module: (config) => RetentionModule.forRoot(config) });
