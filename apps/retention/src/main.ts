import './instrument';
import { readRetentionSettings } from '@memory/lifecycle';
import { main } from '@memory/runtime';
import { readSummarizationSettings } from '@memory/summarization';
import { RetentionModule } from './retention.module';
import { readWebhookSettings } from './webhooks/webhook.settings';

main({
  name: 'retention',
  settings: (read) => ({
    retention: readRetentionSettings(read),
    summarization: readSummarizationSettings(read),
    webhooks: readWebhookSettings(read),
  }),
  module: (config, settings) => RetentionModule.forRoot(config, settings),
});
